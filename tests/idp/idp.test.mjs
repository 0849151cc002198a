//! Tests of the dev IdP's configuration, through real Chromium: code + PKCE (RFC 7636),
//! ID token claims (OIDC Core 2, 5.4), CORS, cancel, RFC 9207 `iss`. Needs no SPA and no server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, newBrowserSession, slug, startIdp } from '../e2e/harness.mjs';
import { IdpConsentPage, IdpLoginPage } from '../e2e/pages.mjs';
import { USERS } from './users.mjs';
import { authorizeUrl as authorizeRequest, random, startRp, verifiedClaims } from './helpers.mjs';

const IDP_PORT = 9420;
const RP_PORT = 8199;
// The stand-in relying party (helpers.mjs startRp) the IdP redirects to.
const RP_ORIGIN = `http://127.0.0.1:${RP_PORT}`;
const REDIRECT_URI = `${RP_ORIGIN}/oidc/callback`;
const CLIENT_ID = 'sso-web';

describe('dev IdP', () => {
  let idp;
  let rp;
  let browser;
  let discovery;

  before(async () => {
    rp = await startRp(RP_PORT, 'callback reached');
    idp = await startIdp({ port: IDP_PORT, redirectOrigins: [RP_ORIGIN], logName: 'idp-test.idp' });
    discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await idp?.stop();
    await rp?.close();
  });

  function authorizeUrl(overrides = {}) {
    return authorizeRequest(discovery, { clientId: CLIENT_ID, redirectUri: REDIRECT_URI }, overrides);
  }


  /** A fresh browser session (no IdP cookies yet). */
  async function withRp(t, fn) {
    const session = await newBrowserSession(browser, { logName: `idp-test.${slug(t.name)}` });
    try {
      await fn(session.page);
    } finally {
      await session.close();
    }
  }

  const atCallback = (url) => url.href.startsWith(`${REDIRECT_URI}?`);

  /** Drives login (+ consent) for `login` and returns the callback's query and the request. */
  async function authorizeInBrowser(page, login) {
    const request = authorizeUrl();
    await page.goto(request.url);
    await new IdpLoginPage(page).signIn(login);
    // A fresh browser session has no grant yet, so consent must be asked, once.
    await new IdpConsentPage(page).continueButton.click();
    await page.waitForURL(atCallback);
    return { callback: new URL(page.url()).searchParams, request };
  }

  /** The token request, made by the page itself: a real cross-origin fetch from the RP origin. */
  async function exchangeInBrowser(page, code, verifier) {
    return page.evaluate(async ({ discoveryUrl, code, verifier, redirectUri, clientId }) => {
      const meta = await (await fetch(discoveryUrl)).json();
      const jwks = await (await fetch(meta.jwks_uri)).json();
      const res = await fetch(meta.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code', code, code_verifier: verifier,
          redirect_uri: redirectUri, client_id: clientId,
        }),
      });
      return { origin: window.location.origin, status: res.status, body: await res.json(), jwks };
    }, {
      discoveryUrl: `${idp.issuer}/.well-known/openid-configuration`,
      code, verifier, redirectUri: REDIRECT_URI, clientId: CLIENT_ID,
    });
  }


  async function signInAndGetIdToken(page, login) {
    const { callback, request } = await authorizeInBrowser(page, login);
    assert.equal(callback.get('state'), request.params.state);
    assert.equal(callback.get('iss'), idp.issuer, 'RFC 9207 iss in the authorization response');
    const code = callback.get('code');
    assert.ok(code, 'callback has a code');
    const token = await exchangeInBrowser(page, code, request.verifier);
    assert.equal(token.origin, RP_ORIGIN);
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.token_type, 'Bearer');
    const claims = verifiedClaims(token.body.id_token, token.jwks);
    assert.equal(claims.nonce, request.params.nonce);
    return { claims, code, request, token };
  }

  test('discovery: S256 only, iss in authorization responses, CORS for the SPA origin', async () => {
    assert.equal(discovery.issuer, `http://127.0.0.1:${IDP_PORT}`);
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
    assert.equal(discovery.authorization_response_iss_parameter_supported, true);
    assert.ok(discovery.id_token_signing_alg_values_supported.includes('RS256'));
    for (const scope of ['openid', 'profile', 'email']) assert.ok(discovery.scopes_supported.includes(scope));
    for (const url of [`${idp.issuer}/.well-known/openid-configuration`, discovery.jwks_uri]) {
      const res = await fetch(url, { headers: { Origin: RP_ORIGIN } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), RP_ORIGIN, url);
    }
  });

  test('alice: code + PKCE S256; the ID token carries name, username, email and groups', async (t) => {
    await withRp(t, async (page) => {
      const { claims, code, request } = await signInAndGetIdToken(page, 'alice');
      const alice = USERS.alice;
      assert.equal(claims.iss, idp.issuer);
      assert.equal(claims.aud, CLIENT_ID);
      assert.equal(claims.sub, alice.sub);
      assert.equal(claims.name, 'Alice Anderson');
      assert.equal(claims.preferred_username, 'alice');
      assert.equal(claims.email, 'alice@example.com');
      assert.equal(claims.email_verified, true);
      assert.deepEqual(claims.groups, ['admins', 'ml-team']);
      assert.equal(claims.exp - claims.iat, 3600);

      // The code is single use.
      const replay = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: { Origin: RP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code', code, code_verifier: request.verifier,
          redirect_uri: REDIRECT_URI, client_id: CLIENT_ID,
        }),
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.headers.get('access-control-allow-origin'), RP_ORIGIN);
      assert.equal((await replay.json()).error, 'invalid_grant');
    });
  });

  test('bob has one group; carol has email_verified false and no groups claim', async (t) => {
    await withRp(t, async (page) => {
      const { claims } = await signInAndGetIdToken(page, 'bob');
      assert.equal(claims.sub, USERS.bob.sub);
      assert.equal(claims.name, 'Bob Brown');
      assert.deepEqual(claims.groups, ['ml-team']);
    });
    await withRp(t, async (page) => {
      const { claims } = await signInAndGetIdToken(page, 'carol');
      assert.equal(claims.sub, USERS.carol.sub);
      assert.equal(claims.name, 'Carol Chen');
      assert.equal(claims.email, 'carol@example.com');
      assert.equal(claims.email_verified, false);
      assert.equal('groups' in claims, false);
    });
  });

  test('the wrong PKCE verifier is refused at the token endpoint', async (t) => {
    await withRp(t, async (page) => {
      const { callback } = await authorizeInBrowser(page, 'alice');
      const token = await exchangeInBrowser(page, callback.get('code'), random());
      assert.equal(token.status, 400);
      assert.equal(token.body.error, 'invalid_grant');
    });
  });

  test('[ Cancel ] on the login page returns access_denied with state and iss', async (t) => {
    await withRp(t, async (page) => {
      const request = authorizeUrl();
      await page.goto(request.url);
      const login = new IdpLoginPage(page);
      await login.waitUntilShown();
      await login.cancel();
      await page.waitForURL(atCallback);
      const callback = new URL(page.url()).searchParams;
      assert.equal(callback.get('error'), 'access_denied');
      assert.equal(callback.get('state'), request.params.state);
      assert.equal(callback.get('iss'), idp.issuer);
      assert.equal(callback.get('code'), null);
    });
  });

  test('an unknown login is refused at the IdP; a known one then succeeds', async (t) => {
    await withRp(t, async (page) => {
      const request = authorizeUrl();
      await page.goto(request.url);
      const login = new IdpLoginPage(page);
      await login.signIn('mallory');
      await page.getByTestId('login-error').waitFor();
      assert.equal(new URL(page.url()).origin, idp.issuer, 'still at the IdP');

      await login.signIn('alice');
      await new IdpConsentPage(page).continueButton.click();
      await page.waitForURL(atCallback);
      const callback = new URL(page.url()).searchParams;
      const token = await exchangeInBrowser(page, callback.get('code'), request.verifier);
      assert.equal(token.status, 200, JSON.stringify(token.body));
      assert.equal(verifiedClaims(token.body.id_token, token.jwks).sub, USERS.alice.sub);
    });
  });

  test('authorization requests without PKCE S256 are refused', async () => {
    for (const overrides of [
      { code_challenge: undefined, code_challenge_method: undefined },
      { code_challenge_method: 'plain' },
    ]) {
      const { url } = authorizeUrl(overrides);
      const res = await fetch(url, { redirect: 'manual' });
      assert.equal(res.status, 303, JSON.stringify(overrides));
      const location = new URL(res.headers.get('location'));
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
      assert.equal(location.searchParams.get('error'), 'invalid_request', JSON.stringify(overrides));
    }
  });

  test('an unregistered redirect_uri gets an error page, not a redirect', async () => {
    const { url } = authorizeUrl({ redirect_uri: 'http://127.0.0.1:9999/oidc/callback' });
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /invalid_redirect_uri/);
  });

  test('the token endpoint refuses CORS from an unregistered origin', async () => {
    const res = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { Origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: 'x', code_verifier: random(),
        redirect_uri: REDIRECT_URI, client_id: CLIENT_ID,
      }),
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const body = await res.json();
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /origin http:\/\/evil\.example not allowed/);
  });
});
