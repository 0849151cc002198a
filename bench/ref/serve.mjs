//! Tiny static server for the reference page: `node bench/ref/serve.mjs <dir> <port>`.
//
// Serves `<dir>/index.html` for the page routes (/, /oidc/callback, /me) and the files under
// `<dir>/assets/`, like sso-server does for the app: index.html `no-cache`, hashed assets
// `immutable`, gzip when the browser accepts it. Everything is read into memory at start.
// Prints exactly one line on stdout, `ref ready <origin>`, once it accepts connections.
// REF_COOP=1 adds sso-server's `Cross-Origin-Opener-Policy: same-origin` to the page, so the
// benchmark can compare the pages with the same process model (bench/README.md).

import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [dir, portArg] = process.argv.slice(2);
const port = Number(portArg);
if (!dir || !Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node serve.mjs <dir> <port>');
  process.exit(2);
}
const host = '127.0.0.1';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };
const PAGE_ROUTES = new Set(['/', '/oidc/callback', '/me']);

function entry(file, cacheControl) {
  const body = readFileSync(file);
  const type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
  return { body, gzip: gzipSync(body), type, cacheControl };
}

const index = entry(join(dir, 'index.html'), 'no-cache');
const assets = new Map(readdirSync(join(dir, 'assets')).map((name) => [
  `/assets/${name}`, entry(join(dir, 'assets', name), 'public, max-age=31536000, immutable'),
]));

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, `http://${host}`);
  const file = PAGE_ROUTES.has(pathname) ? index : assets.get(pathname);
  if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(file ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? file.gzip : file.body;
  res.writeHead(200, {
    'content-type': file.type,
    'cache-control': file.cacheControl,
    'content-length': body.length,
    vary: 'accept-encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    ...(process.env.REF_COOP === '1' && file === index ? { 'cross-origin-opener-policy': 'same-origin' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
});

server.listen(port, host, () => console.log(`ref ready http://${host}:${port}`));
server.on('error', (err) => {
  console.error(`ref: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
