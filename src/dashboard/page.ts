/** The HTML the dashboard serves: a shell that loads the bundled app (dist/dashboard/app.js), and the refusal page. */

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function pageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conveyor dashboard</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="app"><p class="loading">Loading…</p></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;
}

export function refusedHtml(reason: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Conveyor dashboard: refused</title></head>
<body><h1>Refused</h1><p>${escapeHtml(reason)}</p>
<p>Start it with <code>conveyor dashboard</code> and open the URL it prints (it carries the session token).</p>
</body></html>
`;
}
