//! Dev IdP entry point: `node tests/idp/server.mjs` (env IDP_PORT, IDP_REDIRECT_ORIGINS,
//! IDP_CONFIDENTIAL_SECRET).
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
