//! PROBE, not the product: what a server-started code redemption would gain.
//
//   node bench/probes/server-redeem.mjs <listen-port> <sso-server-port>
//
// Stands in front of sso-server (bench/latency.mjs starts it when BENCH_APP_PROXY names this
// file). On `GET /oidc/callback?code&state` with the `sso-probe-early` cookie that the patched
// first-visit page sets (bench/probes/server-redeem-dist.mjs: the sign-in's token endpoint and
// form body, PKCE verifier included, for that state), it posts the token request at once, while
// it sends the callback page's HTML, and hands the IdP's answer to the page (MODE below). The
// patched callback page gives that answer to the app, which checks state, iss and every
// ID-token rule as it does for its own early request. Everything else is
// passed through. What a real build would need first is in docs/performance.md.

import http from 'node:http';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
if (!Number.isInteger(listenPort) || !Number.isInteger(upstreamPort)) {
  console.error('usage: node server-redeem.mjs <listen-port> <sso-server-port>');
  process.exit(2);
}
const COOKIE = 'sso-probe-early';

function cookie(header, name) {
  for (const part of (header ?? '').split(/;\s*/)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === name) return part.slice(eq + 1);
  }
  return null;
}

/** The token request for this callback, or null when the cookie does not belong to it. */
function redeem(req, url) {
  if (req.method !== 'GET' || url.pathname !== '/oidc/callback') return null;
  const raw = cookie(req.headers.cookie, COOKIE);
  if (!raw || url.searchParams.getAll('code').length !== 1) return null;
  let record;
  try { record = JSON.parse(decodeURIComponent(raw)); } catch { return null; }
  if (record?.state !== url.searchParams.get('state') || typeof record.token_endpoint !== 'string') return null;
  return fetch(record.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: `${record.body}&code=${encodeURIComponent(url.searchParams.get('code'))}`,
  }).then(async (r) => ({ status: r.status, body: await r.text() }), (err) => ({ status: 599, body: String(err) }));
}

// `SSO_PROBE_MODE=stream`: the answer at the end of the callback document's body (the page's
// deferred scripts then wait for it). Otherwise (`fetch`): the document passes through at once
// and the page's early-token script asks `GET /__probe/token?state=` for the answer, which this
// proxy holds until the IdP has answered; one use, forgotten after a minute.
const MODE = process.env.SSO_PROBE_MODE === 'stream' ? 'stream' : 'fetch';
const pending = new Map();

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (MODE === 'fetch' && url.pathname === '/__probe/token') {
    const state = url.searchParams.get('state');
    const answer = pending.get(state);
    pending.delete(state);
    const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (!answer) {
      res.writeHead(404, headers).end(JSON.stringify({ status: 599, body: 'no redemption for this state' }));
      return;
    }
    answer.then((a) => res.writeHead(200, headers).end(JSON.stringify(a)));
    return;
  }
  const answer = redeem(req, url);
  if (answer && MODE === 'fetch') {
    const state = url.searchParams.get('state');
    pending.set(state, answer);
    setTimeout(() => pending.delete(state), 60_000).unref();
  }
  const headers = { ...req.headers };
  if (answer && MODE === 'stream') delete headers['accept-encoding'];
  const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (up) => {
    if (!answer) {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
      return;
    }
    const out = { ...up.headers, 'cache-control': 'no-store' };
    out['set-cookie'] = [...(up.headers['set-cookie'] ?? []), `${COOKIE}=; Path=/oidc/callback; Max-Age=0`];
    if (MODE === 'fetch') {
      res.writeHead(up.statusCode, out);
      up.pipe(res);
      return;
    }
    delete out['content-length'];
    delete out.etag;
    const chunks = [];
    up.on('data', (chunk) => chunks.push(chunk));
    up.on('end', async () => {
      const html = Buffer.concat(chunks).toString('utf8');
      const end = html.lastIndexOf('</body>');
      res.writeHead(up.statusCode, out);
      // The head and body go out now; the browser starts the app's files while the IdP answers.
      res.write(html.slice(0, end));
      const json = JSON.stringify(await answer).replace(/</g, '\\u003c');
      res.end(`<script type="application/json" id="sso-probe-token">${json}</script>${html.slice(end)}`);
    });
  });
  upstream.on('error', () => { res.writeHead(502).end(); });
  req.pipe(upstream);
});
server.listen(listenPort, '127.0.0.1');
