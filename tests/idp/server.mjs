//! Dev IdP entry point: `node tests/idp/server.mjs` (env IDP_PORT, IDP_REDIRECT_ORIGINS,
//! IDP_CONFIDENTIAL_SECRET, IDP_DELAY_MS).
//
// IDP_DELAY_MS=40 answers every request 40 ms late: an IdP across the internet, for the
// latency benchmark. With IDP_DELAY_CONTROL=1, `POST /__delay?ms=<n>` changes it at run time
// (answered at once), so one benchmark run can compare loopback with a remote IdP.
//
// Prints exactly one line on stdout, `idp ready <issuer>`, once it accepts connections.
// Dev users: alice, bob, carol, with any non-empty password (see users.mjs).

import { DEFAULT_CONFIDENTIAL_SECRET, createProvider, parseRedirectOrigins } from './provider.mjs';

const port = Number(process.env.IDP_PORT ?? 9400);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`IDP_PORT must be a TCP port, got ${JSON.stringify(process.env.IDP_PORT)}`);
  process.exit(2);
}
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;
const redirectOrigins = parseRedirectOrigins(process.env.IDP_REDIRECT_ORIGINS);

const confidentialSecret = process.env.IDP_CONFIDENTIAL_SECRET?.trim() || DEFAULT_CONFIDENTIAL_SECRET;

const provider = createProvider({ issuer, redirectOrigins, confidentialSecret });

const parseDelay = (text) => {
  const ms = Number(text ?? 0);
  if (!Number.isInteger(ms) || ms < 0 || ms > 10_000) {
    throw new Error(`IDP_DELAY_MS must be a whole number of milliseconds (0 to 10000), got ${JSON.stringify(text)}`);
  }
  return ms;
};
let delayMs;
try {
  delayMs = parseDelay(process.env.IDP_DELAY_MS);
} catch (err) {
  console.error(err.message);
  process.exit(2);
}
const delayControl = process.env.IDP_DELAY_CONTROL === '1';
provider.use(async (ctx, next) => {
  if (delayControl && ctx.path === '/__delay' && ctx.method === 'POST') {
    try {
      delayMs = parseDelay(ctx.query.ms);
      ctx.status = 204;
    } catch (err) {
      ctx.status = 400;
      ctx.body = err.message;
    }
    return;
  }
  if (delayMs > 0) await new Promise((done) => setTimeout(done, delayMs));
  await next();
});
provider.on('server_error', (ctx, err) => console.error('idp server_error', err));

const server = provider.listen(port, host, () => {
  console.error(`idp: issuer ${issuer}, redirect origins ${redirectOrigins.join(', ')}`);
  console.log(`idp ready ${issuer}`);
});
server.on('error', (err) => {
  console.error(`idp: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
