//! Dev OpenID Provider configuration (oidc-provider 9): clients, accounts, claims, CORS, keys.
//
// Development and test only: in-memory storage, keys made at startup, a dev login form.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';

import { claimsOf, userByLogin, userBySub } from './users.mjs';

export const DEFAULT_REDIRECT_ORIGINS = ['http://127.0.0.1:8080', 'http://localhost:8080'];

/** The SPA's client id; the server hands it to the SPA as OIDC_CLIENT_ID. */
export const SPA_CLIENT_ID = 'sso-web';
/** Implicit flow (`id_token`, `id_token token`), response_mode form_post or fragment. */
export const IMPLICIT_CLIENT_ID = 'sso-web-implicit';
/** Code flow + PKCE with a client secret (client_secret_basic): only a server can redeem codes. */
export const CONFIDENTIAL_CLIENT_ID = 'sso-web-confidential';
/** Like sso-web, but its ID tokens live SHORT_ID_TOKEN_TTL seconds. */
export const SHORT_CLIENT_ID = 'sso-web-short';
export const SHORT_ID_TOKEN_TTL = 30;
/** sso-web-confidential's secret unless IDP_CONFIDENTIAL_SECRET says otherwise. */
export const DEFAULT_CONFIDENTIAL_SECRET = 'dev-confidential-secret-change-me';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Parses IDP_REDIRECT_ORIGINS ("http://a:1,http://b:2") into a list of bare origins. */
export function parseRedirectOrigins(value) {
  if (value === undefined || value.trim() === '') return [...DEFAULT_REDIRECT_ORIGINS];
  return value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const url = new URL(s);
    if (url.origin !== s.replace(/\/$/, '')) {
      throw new Error(`IDP_REDIRECT_ORIGINS entry ${JSON.stringify(s)} is not a bare origin (scheme://host:port)`);
    }
    return url.origin;
  });
}

/**
 * The origins a `native` client may register (oidc-provider's rule): http only on a loopback
 * host, https only on a non-loopback host. oidc-provider refuses http redirect URIs for implicit
 * `web` clients, hence `native` for the implicit client; other origins are left out of it.
 */
export function nativeOrigins(redirectOrigins) {
  return redirectOrigins.filter((o) => {
    const { protocol, hostname } = new URL(o);
    return protocol === 'http:' ? LOOPBACK_HOSTS.has(hostname) : !LOOPBACK_HOSTS.has(hostname);
  });
}

/**
 * One entry per client, all with the same redirect origins: redirect URI `${origin}/oidc/callback`
 * and post-logout redirect URI `${origin}/logout`.
 *
 * @param {string[]} redirectOrigins
 * @param {{ confidentialSecret?: string }} [options]
 */
export function buildClients(redirectOrigins, { confidentialSecret = DEFAULT_CONFIDENTIAL_SECRET } = {}) {
  const uris = (origins) => ({
    redirect_uris: origins.map((o) => `${o}/oidc/callback`),
    post_logout_redirect_uris: origins.map((o) => `${o}/logout`),
  });
  const publicPkce = (client_id, client_name) => ({
    client_id,
    client_name,
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    ...uris(redirectOrigins),
  });

  const clients = [
    // The SPA: a public client doing Authorization Code + PKCE (S256) from the browser.
    publicPkce(SPA_CLIENT_ID, 'sso-web (dev)'),
    // The same, with 30 s ID tokens (ttl.IdToken below), to see expiry without waiting an hour.
    publicPkce(SHORT_CLIENT_ID, 'sso-web, 30 s ID tokens (dev)'),
    // Code + PKCE, but the token endpoint wants HTTP Basic with the secret: the sso-server
    // relays the token request; the browser cannot redeem a code (and gets no CORS there).
    {
      client_id: CONFIDENTIAL_CLIENT_ID,
      client_name: 'sso-web via token relay (dev)',
      client_secret: confidentialSecret,
      application_type: 'web',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      ...uris(redirectOrigins),
    },
  ];

  // Implicit: the ID token comes in the authorization response (form_post or fragment).
  const implicitOrigins = nativeOrigins(redirectOrigins);
  const skipped = redirectOrigins.filter((o) => !implicitOrigins.includes(o));
  if (skipped.length) {
    console.error(`idp: ${IMPLICIT_CLIENT_ID} leaves out ${skipped.join(', ')}: `
      + 'an implicit client takes http only on loopback hosts and https only elsewhere');
  }
  if (implicitOrigins.length) {
    clients.push({
      client_id: IMPLICIT_CLIENT_ID,
      client_name: 'sso-web, implicit flow (dev)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['implicit'],
      response_types: ['id_token', 'id_token token'],
      ...uris(implicitOrigins),
    });
  }
  return clients;
}

function signingKeys() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: `dev-rs256-${randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' }] };
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:24rem;margin:2rem auto;padding:0 1rem}
input,button{display:block;width:100%;margin:.4rem 0;padding:.5rem;box-sizing:border-box}
.error{color:#b00020}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`;
}

// The dev interaction views import a Google web font; this network is closed and the browser
// would wait on it. Drop the import from every HTML page the IdP serves.
const WEB_FONT_IMPORT = /@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g;

async function readForm(req, limit = 16 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The built-in dev login accepts any login as the account id. This replaces only its login
 * submit: the login must be a known dev user (any non-empty password), and the session's
 * account id is the user's fixed `sub`. The login form (GET), consent and abort stay built in.
 */
function devLoginCheck(provider) {
  return async (ctx, next) => {
    const m = /^\/interaction\/([^/]+)$/.exec(ctx.path);
    if (ctx.method !== 'POST' || !m || !ctx.is('application/x-www-form-urlencoded')) return next();

    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      return next(); // let the built-in route render its own "session not found" error
    }
    if (details.uid !== m[1] || details.prompt.name !== 'login') return next();

    const form = await readForm(ctx.req);
    const login = (form.get('login') ?? '').trim();
    const user = userByLogin(login);
    if (!user || !form.get('password')) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = page('Sign-in', `
<p class="error" role="alert" data-testid="login-error">Unknown user ${esc(login)} or empty password.
Dev users: alice, bob, carol (any password).</p>
<form autocomplete="off" action="/interaction/${esc(details.uid)}" method="post">
  <input type="hidden" name="prompt" value="login">
  <input required type="text" name="login" placeholder="Enter a dev login" value="${esc(login)}">
  <input required type="password" name="password" placeholder="and any password">
  <button type="submit">Sign-in</button>
</form>
<p><a href="/interaction/${esc(details.uid)}/abort">[ Cancel ]</a></p>`);
      return undefined;
    }

    const returnTo = await provider.interactionResult(
      ctx.req, ctx.res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false },
    );
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(returnTo);
    ctx.status = 303;
    return undefined;
  };
}

function stripWebFonts() {
  return async (ctx, next) => {
    await next();
    if (typeof ctx.body === 'string' && ctx.body.includes('fonts.googleapis.com')) {
      ctx.body = ctx.body.replace(WEB_FONT_IMPORT, '');
    }
  };
}

/**
 * @param {{ issuer: string, redirectOrigins: string[], confidentialSecret?: string }} options
 */
export function createProvider({ issuer, redirectOrigins, confidentialSecret }) {
  const clients = buildClients(redirectOrigins, { confidentialSecret });
  // Browser origins allowed to call the token and userinfo endpoints per client (CORS).
  const corsOrigins = new Map(clients.map((c) => [
    c.client_id,
    new Set(c.token_endpoint_auth_method === 'none'
      ? c.redirect_uris.map((u) => new URL(u).origin)
      : []),
  ]));

  const hour = 60 * 60;
  const provider = new Provider(issuer, {
    clients,
    // The defaults plus `id_token token` (implicit with an access token).
    responseTypes: ['code', 'code id_token', 'id_token', 'id_token token', 'none'],
    jwks: signingKeys(),
    cookies: {
      // Signed cookies with per-process keys. `secure` is left unset: oidc-provider sets it
      // only when the request is https (ctx.secure), so plain http://127.0.0.1 works.
      keys: [randomBytes(32).toString('base64url')],
    },
    findAccount(ctx, sub) {
      const user = userBySub(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        async claims() { return claimsOf(user); },
      };
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups'],
      email: ['email', 'email_verified'],
    },
    // Put the scope claims (profile, email, groups) in the ID token of the code flow as well,
    // not only in userinfo: the SPA reads its identity from the ID token alone.
    conformIdTokenClaims: false,
    clientBasedCORS(ctx, origin, client) {
      return origin !== 'null' && (corsOrigins.get(client.clientId)?.has(origin) ?? false);
    },
    pkce: {
      // oidc-provider 9 supports only S256; require it for every code flow, confidential ones too.
      // (oidc-provider checks PKCE only when response_type contains `code`: implicit is exempt.)
      required: () => true,
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out', `<p>Sign out of the dev IdP at ${esc(ctx.host)}?</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out of the dev IdP.</p>');
        },
      },
      revocation: { enabled: false },
      introspection: { enabled: false },
    },
    ttl: {
      AccessToken: hour,
      AuthorizationCode: 60,
      IdToken: (ctx, token, client) => (client?.clientId === SHORT_CLIENT_ID ? SHORT_ID_TOKEN_TTL : hour),
      Interaction: hour,
      Session: 8 * hour,
      Grant: 8 * hour,
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', Object.entries(out)
        .map(([k, v]) => `<pre><strong>${esc(k)}</strong>: ${esc(v)}</pre>`).join(''));
    },
  });

  provider.use(stripWebFonts());
  provider.use(devLoginCheck(provider));
  return provider;
}
