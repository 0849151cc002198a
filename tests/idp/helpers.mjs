//! What both dev-IdP test files need: random values, the authorization request (with PKCE
//! S256 for response types that include `code`), the RS256 check of an ID token against the
//! IdP's JWKS, and the stand-in relying party.
//
// The stand-in RP is a real loopback HTTP server answering every path with a blank page, not a
// page.route stub: Chromium's Local Network Access blocks a page whose response did not come
// from a loopback address from fetching the loopback IdP; the SPA at 127.0.0.1 is served for
// real, so this matches it.

import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer } from 'node:http';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const random = () => b64url(randomBytes(32));

export function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/**
 * An authorization request to `discovery`'s endpoint: fresh state, nonce and (for a response
 * type with `code`) PKCE S256; `overrides` replace or, when `undefined`, drop parameters.
 * Returns `{ url, verifier, params }`.
 */
export function authorizeUrl(discovery, { clientId, redirectUri }, overrides = {}) {
  const verifier = random();
  const responseType = Object.hasOwn(overrides, 'response_type') ? overrides.response_type : 'code';
  const code = responseType.split(' ').includes('code');
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    state: random(),
    nonce: random(),
    ...(code ? {
      code_challenge: b64url(createHash('sha256').update(verifier).digest()),
      code_challenge_method: 'S256',
    } : {}),
    ...overrides,
  };
  const url = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return { url: url.href, verifier, params };
}

/** The ID token's claims, once its RS256 signature verifies with the key its `kid` names. */
export function verifiedClaims(idToken, jwks) {
  const { header, payload, signingInput, signature } = decodeJwt(idToken);
  assert.equal(header.alg, 'RS256');
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} is in the JWKS`);
  assert.ok(verify('sha256', Buffer.from(signingInput), createPublicKey({ key: jwk, format: 'jwk' }), signature),
    'RS256 signature verifies');
  return payload;
}

/**
 * The stand-in RP on 127.0.0.1:`port`: every request gets a page saying `text`; `onPost`, when
 * given, receives each POST as `{ path, contentType, body: URLSearchParams }`. Resolves to
 * `{ close() }` once listening.
 */
export async function startRp(port, text, onPost) {
  const rp = createServer(async (req, res) => {
    if (req.method === 'POST' && onPost) {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      onPost({
        path: req.url,
        contentType: req.headers['content-type'],
        body: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      });
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><title>rp</title><p>${text}</p>`);
  });
  await new Promise((done, fail) => rp.once('error', fail).listen(port, '127.0.0.1', done));
  return {
    async close() {
      if (rp.listening) {
        rp.closeAllConnections();
        await new Promise((done) => rp.close(done));
      }
    },
  };
}
