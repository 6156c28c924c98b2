// hello-web: a tiny HTTP server. Listens on $PORT (loopback), answers / with its revision and /health with 200.
// revision.json sets the version and, for the broken revision, the share of requests that fail.
const http = require('node:http');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const { version, errorRate = 0 } = JSON.parse(readFileSync(join(__dirname, 'revision.json'), 'utf8'));
const port = Number(process.env.PORT);
let served = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok\n');
  }
  served += 1;
  if (errorRate > 0 && served % Math.round(1 / errorRate) === 0) {
    res.writeHead(500, { 'content-type': 'text/plain', 'x-revision': version });
    return res.end(`hello-web ${version}: something broke\n`);
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'x-revision': version });
  res.end(`hello from ${version}\n`);
});
server.keepAliveTimeout = 2000;
server.listen(port, '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
