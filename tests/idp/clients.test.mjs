//! Tests of the dev IdP's other clients, through real Chromium, at the protocol level (no SPA,
//! no sso-server): implicit with form_post and fragment, the confidential client's
//! client_secret_basic, the 30 s ID tokens of sso-web-short, and RP-initiated logout for all.
//
// Ports differ from idp.test.mjs (9420/8199): `node --test idp/` runs both files at once.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, newBrowserSession, slug, startIdp } from '../e2e/harness.mjs';
import { IdpConsentPage, IdpLoginPage, IdpLogoutPage } from '../e2e/pages.mjs';
import {
  CONFIDENTIAL_CLIENT_ID, IMPLICIT_CLIENT_ID, SHORT_CLIENT_ID, SHORT_ID_TOKEN_TTL, SPA_CLIENT_ID,
} from './provider.mjs';
import { USERS } from './users.mjs';
import {
  authorizeUrl as authorizeRequest, b64url, random, startRp, verifiedClaims as verifiedWith,
} from './helpers.mjs';

const IDP_PORT = 9421;
const RP_PORT = 8198;
const RP_ORIGIN = `http://127.0.0.1:${RP_PORT}`;
const REDIRECT_URI = `${RP_ORIGIN}/oidc/callback`;
const POST_LOGOUT_URI = `${RP_ORIGIN}/logout`;
const SECRET = 'clients-test-secret-0f3e9d';

const basic = (id, secret) => `Basic ${Buffer.from(
  `${encodeURIComponent(id)}:${encodeURIComponent(secret)}`,
).toString('base64')}`;

describe('dev IdP clients', () => {
  let idp;
  let rp;
  let browser;
  let discovery;
  let jwks;
  /** Every POST the stand-in RP received: { path, contentType, body: URLSearchParams }. */
  const posts = [];

  before(async () => {
    rp = await startRp(RP_PORT, 'rp reached', (post) => posts.push(post));
    idp = await startIdp({
      port: IDP_PORT, redirectOrigins: [RP_ORIGIN], confidentialSecret: SECRET, logName: 'idp-clients-test.idp',
    });
    discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    jwks = await (await fetch(discovery.jwks_uri)).json();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await idp?.stop();
    await rp?.close();
  });

  async function withBrowser(t, fn) {
    const session = await newBrowserSession(browser, { logName: `idp-clients-test.${slug(t.name)}` });
    try {
      await fn(session);
    } finally {
      await session.close();
    }
  }

  function authorizeUrl(clientId, overrides = {}) {
    return authorizeRequest(discovery, { clientId, redirectUri: REDIRECT_URI }, overrides);
  }


  const verifiedClaims = (idToken) => verifiedWith(idToken, jwks);


  const atRp = (path) => (url) => url.origin === RP_ORIGIN && url.pathname === path;

  /**
   * At the IdP after an authorization request: logs in if asked (no IdP session yet), consents if
   * asked (no grant for this client yet), and waits until the browser is back at the RP.
   */
  async function completeAtIdp(page, login, landed) {
    const loginPage = new IdpLoginPage(page);
    const consent = new IdpConsentPage(page).continueButton;
    const rpReached = page.getByText('rp reached');
    await loginPage.loginInput.or(consent).or(rpReached).first().waitFor();
    if (await loginPage.loginInput.isVisible()) {
      await loginPage.signIn(login);
      await consent.or(rpReached).first().waitFor();
    }
    if (await consent.isVisible()) await consent.click();
    await page.waitForURL(landed);
  }

  /** Implicit with the fragment (the default for `id_token`); returns the fragment's fields. */
  async function implicitFragment(page, login, overrides = {}) {
    const request = authorizeUrl(IMPLICIT_CLIENT_ID, { response_type: 'id_token', ...overrides });
    await page.goto(request.url);
    await completeAtIdp(page, login, (url) => url.href.startsWith(`${REDIRECT_URI}#`));
    const url = new URL(page.url());
    return { url, fields: new URLSearchParams(url.hash.slice(1)), request };
  }

  /** Code flow up to the callback; returns the callback's query. */
  async function codeAtCallback(page, clientId, login) {
    const request = authorizeUrl(clientId);
    await page.goto(request.url);
    await completeAtIdp(page, login, (url) => url.href.startsWith(`${REDIRECT_URI}?`));
    const callback = new URL(page.url()).searchParams;
    assert.equal(callback.get('state'), request.params.state);
    assert.ok(callback.get('code'), 'callback has a code');
    return { code: callback.get('code'), request };
  }

  /** The token request of a public client, made by the RP page itself (CORS). */
  async function publicExchangeInBrowser(page, clientId, code, verifier) {
    return page.evaluate(async ({ tokenEndpoint, body }) => {
      const res = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
      return { status: res.status, body: await res.json() };
    }, {
      tokenEndpoint: discovery.token_endpoint,
      body: { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: clientId },
    });
  }

  /** A server-side token request (what sso-server's relay does): no Origin header. */
  function serverTokenRequest(code, verifier, { authorization, clientIdInBody } = {}) {
    return fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization ? { authorization } : {}),
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI,
        ...(clientIdInBody ? { client_id: clientIdInBody } : {}),
      }),
    });
  }

  /** A fresh ID token of `clientId` for `login`, in this browser (so the IdP session is its). */
  async function idTokenFor(page, clientId, login) {
    if (clientId === IMPLICIT_CLIENT_ID) {
      const { fields } = await implicitFragment(page, login);
      return fields.get('id_token');
    }
    const { code, request } = await codeAtCallback(page, clientId, login);
    if (clientId === CONFIDENTIAL_CLIENT_ID) {
      const res = await serverTokenRequest(code, request.verifier, { authorization: basic(clientId, SECRET) });
      assert.equal(res.status, 200);
      return (await res.json()).id_token;
    }
    const token = await publicExchangeInBrowser(page, clientId, code, request.verifier);
    assert.equal(token.status, 200, JSON.stringify(token.body));
    return token.body.id_token;
  }

  test('discovery: implicit response types and the form_post and fragment modes, end_session', () => {
    for (const type of ['code', 'id_token', 'id_token token']) {
      assert.ok(discovery.response_types_supported.includes(type), type);
    }
    for (const mode of ['form_post', 'fragment']) assert.ok(discovery.response_modes_supported.includes(mode), mode);
    assert.ok(discovery.grant_types_supported.includes('implicit'));
    assert.ok(discovery.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
    assert.equal(discovery.end_session_endpoint, `${idp.issuer}/session/end`);
  });

  test('implicit, form_post: the IdP auto-submits id_token and state to /oidc/callback', async (t) => {
    await withBrowser(t, async ({ page, requests }) => {
      const request = authorizeUrl(IMPLICIT_CLIENT_ID, { response_type: 'id_token', response_mode: 'form_post' });
      // The form of the IdP's auto-submitting page, as the browser parsed it, recorded before the
      // page's own DOMContentLoaded handler submits it (init scripts run before page scripts).
      const formPages = [];
      await page.exposeFunction('recordFormPost', (form) => { formPages.push(form); });
      await page.addInitScript(() => {
        document.addEventListener('DOMContentLoaded', () => {
          const form = document.forms[0];
          if (!form || document.title !== 'Submitting Callback') return;
          window.recordFormPost({
            origin: window.location.origin,
            method: form.getAttribute('method'),
            action: form.getAttribute('action'),
            inputs: [...form.elements].filter((e) => e.type === 'hidden').map((e) => [e.name, e.value]),
            script: [...document.scripts].map((e) => e.textContent).join('\n'),
          });
        });
      });
      const posted = page.waitForRequest((req) => req.method() === 'POST' && req.url() === REDIRECT_URI);
      const postsBefore = posts.length;
      await page.goto(request.url);
      await completeAtIdp(page, 'alice', (url) => url.href === REDIRECT_URI);

      // The IdP's page: a form posting to the redirect URI, submitted by its own script.
      assert.equal(formPages.length, 1, 'the IdP served one form_post page');
      const [form] = formPages;
      assert.equal(form.origin, idp.issuer);
      assert.equal(form.method, 'post');
      assert.equal(form.action, REDIRECT_URI);
      assert.deepEqual(form.inputs.map(([name]) => name).sort(), ['id_token', 'state']);
      assert.equal(Object.fromEntries(form.inputs).state, request.params.state);
      assert.match(Object.fromEntries(form.inputs).id_token, /^eyJ/);
      assert.match(form.script, /document\.forms\[0\]\.submit\(\)/);

      // What the browser posted, and what the RP received.
      const req = await posted;
      assert.equal(req.headers()['content-type'], 'application/x-www-form-urlencoded');
      const body = new URLSearchParams(req.postData());
      // No `iss` field: oidc-provider adds RFC 9207 `iss` only to responses without an ID
      // token (errors, code); here the ID token's own `iss` claim identifies the IdP.
      assert.deepEqual([...body.keys()].sort(), ['id_token', 'state']);
      assert.equal(body.get('state'), request.params.state);
      const received = posts.slice(postsBefore);
      assert.equal(received.length, 1);
      assert.equal(received[0].path, '/oidc/callback');
      assert.equal(received[0].body.get('id_token'), body.get('id_token'));

      const claims = verifiedClaims(body.get('id_token'));
      assert.equal(claims.aud, IMPLICIT_CLIENT_ID);
      assert.equal(claims.iss, idp.issuer);
      assert.equal(claims.nonce, request.params.nonce);
      assert.equal(claims.sub, USERS.alice.sub);
      assert.equal(claims.name, USERS.alice.name);
      assert.equal(claims.email, USERS.alice.email);
      assert.deepEqual(claims.groups, ['admins', 'ml-team']);
      assert.equal(claims.exp - claims.iat, 3600);
      assert.equal(claims.at_hash, undefined, 'no access token, no at_hash');

      // No URL the browser requested carried the token.
      for (const r of requests) assert.ok(!r.url.includes('id_token='), r.url);
    });
  });

  test('implicit, fragment: the redirect fragment has id_token and state (no iss); no query', async (t) => {
    await withBrowser(t, async ({ page }) => {
      for (const response_mode of ['fragment', undefined]) {
        const { url, fields, request } = await implicitFragment(page, 'bob', { response_mode });
        assert.equal(url.search, '', `no query (response_mode ${response_mode})`);
        assert.equal(fields.get('state'), request.params.state);
        assert.equal(fields.get('iss'), null, 'no iss parameter next to an ID token');
        const claims = verifiedClaims(fields.get('id_token'));
        assert.equal(claims.iss, idp.issuer);
        assert.equal(claims.aud, IMPLICIT_CLIENT_ID);
        assert.equal(claims.nonce, request.params.nonce);
        assert.equal(claims.sub, USERS.bob.sub);
        assert.deepEqual(claims.groups, ['ml-team']);
      }
    });
  });

  test('implicit, id_token token: an access token too, bound by at_hash, good at userinfo', async (t) => {
    await withBrowser(t, async ({ page }) => {
      const { fields } = await implicitFragment(page, 'carol', { response_type: 'id_token token' });
      const accessToken = fields.get('access_token');
      assert.ok(accessToken, 'access_token in the fragment');
      assert.equal(fields.get('token_type'), 'Bearer');
      const claims = verifiedClaims(fields.get('id_token'));
      const digest = createHash('sha256').update(accessToken).digest();
      assert.equal(claims.at_hash, b64url(digest.subarray(0, digest.length / 2)));
      const userinfo = await page.evaluate(async ({ endpoint, token }) => {
        const res = await fetch(endpoint, { headers: { authorization: `Bearer ${token}` } });
        return { status: res.status, body: await res.json() };
      }, { endpoint: discovery.userinfo_endpoint, token: accessToken });
      assert.equal(userinfo.status, 200);
      assert.equal(userinfo.body.sub, USERS.carol.sub);
    });
  });

  test('implicit: needs a nonce, refuses the query mode and the code flow', async () => {
    // Errors name the issuer (RFC 9207); an unusable response_mode falls back to the query.
    const errorOf = async (overrides, where) => {
      const res = await fetch(authorizeUrl(IMPLICIT_CLIENT_ID, overrides).url, { redirect: 'manual' });
      assert.equal(res.status, 303, JSON.stringify(overrides));
      const location = new URL(res.headers.get('location'));
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
      const fields = new URLSearchParams(where === 'query' ? location.search : location.hash.slice(1));
      assert.equal(fields.get('iss'), idp.issuer);
      return `${fields.get('error')}: ${fields.get('error_description')}`;
    };
    assert.equal(await errorOf({ response_type: 'id_token', nonce: undefined }, 'fragment'),
      "invalid_request: missing required parameter 'nonce'");
    assert.equal(await errorOf({ response_type: 'id_token', response_mode: 'query' }, 'query'),
      'invalid_request: requested response_mode is not allowed for the requested response_type');
    assert.equal(await errorOf({ response_type: 'code' }, 'query'),
      'invalid_request: requested response_type is not allowed for this client');
  });

  test('implicit, form_post: [ Cancel ] posts error=access_denied with state and iss', async (t) => {
    await withBrowser(t, async ({ page }) => {
      const request = authorizeUrl(IMPLICIT_CLIENT_ID, { response_type: 'id_token', response_mode: 'form_post' });
      const posted = page.waitForRequest((req) => req.method() === 'POST' && req.url() === REDIRECT_URI);
      await page.goto(request.url);
      const login = new IdpLoginPage(page);
      await login.waitUntilShown();
      await login.cancel();
      const body = new URLSearchParams((await posted).postData());
      assert.equal(body.get('error'), 'access_denied');
      assert.equal(body.get('state'), request.params.state);
      assert.equal(body.get('iss'), idp.issuer);
      assert.equal(body.get('id_token'), null);
    });
  });

  test('confidential: the token endpoint takes HTTP Basic with the secret and nothing less', async (t) => {
    await withBrowser(t, async ({ page }) => {
      const { code, request } = await codeAtCallback(page, CONFIDENTIAL_CLIENT_ID, 'alice');

      // Refused (before the code is looked up, so the code stays good): no authentication,
      // a wrong secret, and the browser itself (no CORS for a confidential client).
      for (const options of [
        { clientIdInBody: CONFIDENTIAL_CLIENT_ID },
        { authorization: basic(CONFIDENTIAL_CLIENT_ID, 'wrong-secret') },
      ]) {
        const res = await serverTokenRequest(code, request.verifier, options);
        assert.equal(res.status, 401, JSON.stringify(options));
        assert.equal((await res.json()).error, 'invalid_client');
      }
      const fromBrowser = await page.evaluate(async ({ endpoint, body }) => {
        try {
          const res = await fetch(endpoint, { method: 'POST', body: new URLSearchParams(body) });
          return `HTTP ${res.status}`;
        } catch (err) {
          return `blocked: ${err.message}`;
        }
      }, {
        endpoint: discovery.token_endpoint,
        body: {
          grant_type: 'authorization_code', code, code_verifier: request.verifier,
          redirect_uri: REDIRECT_URI, client_id: CONFIDENTIAL_CLIENT_ID,
        },
      });
      assert.match(fromBrowser, /^blocked: /, 'the browser cannot read the token endpoint for this client');

      // A wrong PKCE verifier with the right secret: invalid_grant (PKCE applies here too).
      // It spends the code, so the good request below runs on a new one.
      const wrong = await serverTokenRequest(code, random(), { authorization: basic(CONFIDENTIAL_CLIENT_ID, SECRET) });
      assert.equal(wrong.status, 400);
      assert.equal((await wrong.json()).error, 'invalid_grant');

      const next = await codeAtCallback(page, CONFIDENTIAL_CLIENT_ID, 'alice');
      const res = await serverTokenRequest(next.code, next.request.verifier, {
        authorization: basic(CONFIDENTIAL_CLIENT_ID, SECRET),
      });
      assert.equal(res.status, 200);
      const tokens = await res.json();
      const claims = verifiedClaims(tokens.id_token);
      assert.equal(claims.aud, CONFIDENTIAL_CLIENT_ID);
      assert.equal(claims.nonce, next.request.params.nonce);
      assert.equal(claims.sub, USERS.alice.sub);
      assert.ok(!JSON.stringify(tokens).includes(SECRET));
    });
  });

  test('confidential: an authorization request without PKCE is refused', async () => {
    const res = await fetch(authorizeUrl(CONFIDENTIAL_CLIENT_ID, {
      code_challenge: undefined, code_challenge_method: undefined,
    }).url, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(new URL(res.headers.get('location')).searchParams.get('error'), 'invalid_request');
  });

  test(`short: sso-web-short's ID token lives ${SHORT_ID_TOKEN_TTL} s (sso-web's 1 h)`, async (t) => {
    await withBrowser(t, async ({ page }) => {
      const claims = verifiedClaims(await idTokenFor(page, SHORT_CLIENT_ID, 'alice'));
      assert.equal(claims.aud, SHORT_CLIENT_ID);
      assert.equal(claims.exp - claims.iat, 30);
      const other = verifiedClaims(await idTokenFor(page, SPA_CLIENT_ID, 'alice'));
      assert.equal(other.exp - other.iat, 3600);
    });
  });

  /** RP-initiated logout back to the stand-in RP's /logout with `state`. */
  function endSessionUrl(idToken, clientId, state) {
    const url = new URL(discovery.end_session_endpoint);
    url.search = new URLSearchParams({
      id_token_hint: idToken, client_id: clientId, post_logout_redirect_uri: POST_LOGOUT_URI, state,
    }).toString();
    return url.href;
  }

  for (const clientId of [SPA_CLIENT_ID, IMPLICIT_CLIENT_ID, CONFIDENTIAL_CLIENT_ID, SHORT_CLIENT_ID]) {
    test(`${clientId}: RP-initiated logout confirms, returns with the state, ends the IdP session`, async (t) => {
      await withBrowser(t, async ({ page, requests }) => {
        const idToken = await idTokenFor(page, clientId, 'alice');
        const state = random();
        await page.goto(endSessionUrl(idToken, clientId, state));

        const confirm = new IdpLogoutPage(page).confirmButton;
        await confirm.waitFor();
        assert.equal(new URL(page.url()).origin, idp.issuer, 'the confirmation is at the IdP');
        await confirm.click();
        await page.waitForURL(atRp('/logout'));
        const back = new URL(page.url());
        assert.deepEqual([...back.searchParams.entries()], [['state', state]]);

        // The IdP session is gone: a new authorization request asks for credentials.
        const again = authorizeUrl(clientId, clientId === IMPLICIT_CLIENT_ID ? { response_type: 'id_token' } : {});
        const requestsBefore = requests.length;
        await page.goto(again.url);
        await new IdpLoginPage(page).waitUntilShown();
        assert.equal(new URL(page.url()).origin, idp.issuer);
        assert.ok(requests.slice(requestsBefore).every((r) => !r.url.startsWith(RP_ORIGIN)),
          'not sent back to the RP without a login');
      });
    });
  }

  test('"No, stay signed in" returns with the state too, and keeps the IdP session', async (t) => {
    await withBrowser(t, async ({ page }) => {
      const idToken = await idTokenFor(page, SPA_CLIENT_ID, 'alice');
      const state = random();
      await page.goto(endSessionUrl(idToken, SPA_CLIENT_ID, state));
      await new IdpLogoutPage(page).stayButton.click();
      await page.waitForURL(atRp('/logout'));
      assert.deepEqual([...new URL(page.url()).searchParams.entries()], [['state', state]]);

      // Still signed in at the IdP: no login form (this client's grant is gone: consent again).
      const again = authorizeUrl(SPA_CLIENT_ID);
      await page.goto(again.url);
      const consent = new IdpConsentPage(page).continueButton;
      await consent.or(new IdpLoginPage(page).loginInput).first().waitFor();
      assert.ok(await consent.isVisible(), 'consent, not the login form');
    });
  });

  test('logout without an IdP session skips the confirmation and returns with the state', async (t) => {
    await withBrowser(t, async ({ page }) => {
      const idToken = await idTokenFor(page, SPA_CLIENT_ID, 'bob');
      await page.context().clearCookies();
      const state = random();
      await page.goto(endSessionUrl(idToken, SPA_CLIENT_ID, state));
      await page.waitForURL(atRp('/logout'));
      assert.equal(new URL(page.url()).searchParams.get('state'), state);
    });
  });

  test('logout refuses an unregistered post_logout_redirect_uri and a mismatched client_id', async (t) => {
    await withBrowser(t, async ({ page }) => {
      const idToken = await idTokenFor(page, SPA_CLIENT_ID, 'alice');
      for (const [params, message] of [
        [{ client_id: SPA_CLIENT_ID, post_logout_redirect_uri: 'http://127.0.0.1:9999/logout' }, /post_logout_redirect_uri not registered/],
        [{ client_id: IMPLICIT_CLIENT_ID, post_logout_redirect_uri: POST_LOGOUT_URI }, /client_id does not match/],
      ]) {
        const url = new URL(discovery.end_session_endpoint);
        url.search = new URLSearchParams({ id_token_hint: idToken, state: 's', ...params }).toString();
        const res = await fetch(url, { redirect: 'manual' });
        assert.equal(res.status, 400);
        assert.match(await res.text(), message);
      }
    });
  });
});
