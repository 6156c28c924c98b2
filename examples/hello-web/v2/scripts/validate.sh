#!/bin/sh
# ValidateService: the server must answer /health within 5 seconds.
exec node -e '
const port = process.env.PORT;
const until = Date.now() + 5000;
(async function poll() {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`);
    if (r.ok) { console.log(`healthy on ${port}`); process.exit(0); }
  } catch {}
  if (Date.now() > until) { console.error(`no healthy answer on port ${port}`); process.exit(1); }
  setTimeout(poll, 50);
})();'
