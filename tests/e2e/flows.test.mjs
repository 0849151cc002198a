//! E2E: the other ways in and out. Implicit with form_post through the server's POST bridge,
//! implicit with the fragment on static hosting (sso-config.json), the confidential client through
//! the server's token relay, RP-initiated logout at the IdP, sign-out reaching another tab,
//! the expiry warning and expiry with 30 s ID tokens, back/refresh after sign-in, and a form_post
//! error.
//
// The stack's server (127.0.0.1:8190) is the default (sso-web, code + PKCE). The others are
// started per test on their own port, against the same IdP:
//   8193 implicit form_post (sso-web-implicit), 8194 token relay (sso-web-confidential),
//   8195 sso-web-short (30 s ID tokens), 8196 static hosting (no OIDC env, sso-config.json).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CONFIDENTIAL_CLIENT_ID, IMPLICIT_CLIENT_ID, SHORT_CLIENT_ID, SHORT_ID_TOKEN_TTL,
} from '../idp/provider.mjs';
import { USERS } from '../idp/users.mjs';
import {
  E2E_CONFIDENTIAL_SECRET, copyDist, keepBodies, navigationsTo, slug, startServer, startStack, until,
} from './harness.mjs';
import { App } from './pages.mjs';

const LISTEN = Object.freeze({
  implicit: '127.0.0.1:8193',
  relay: '127.0.0.1:8194',
  short: '127.0.0.1:8195',
  static: '127.0.0.1:8196',
});
const origin = (listen) => `http://${listen}`;

const nowSecs = () => Math.floor(Date.now() / 1000);

describe('flows', () => {
  let stack;
  before(async () => {
    stack = await startStack('flows', { redirectOrigins: Object.values(LISTEN).map(origin) });
  });
  after(async () => { await stack?.close(); });

  /** Starts one more sso-server against the stack's IdP, runs `fn(server)`, stops it. */
  async function withServer(t, options, fn) {
    const server = await startServer({
      issuer: stack.issuer, logName: `flows.${slug(t.name)}.server`, ...options,
    });
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  }

  const implicitServer = { listen: LISTEN.implicit, clientId: IMPLICIT_CLIENT_ID, env: { OIDC_AUTH_METHOD: 'implicit' } };

  /** What a signed-in /me must show for alice. */
  async function assertAliceOnMe(app, { issuer = stack.issuer } = {}) {
    await app.identity.waitUntilShown();
    assert.equal(new URL(app.page.url()).pathname, '/me');
    const me = app.identity;
    assert.equal(await me.text(me.name), USERS.alice.name);
    assert.equal(await me.text(me.username), 'alice');
    assert.equal(await me.text(me.subject), USERS.alice.sub);
    assert.equal(await me.text(me.issuer), issuer);
    assert.deepEqual((await me.groupNames()).sort(), ['admins', 'ml-team']);
    assert.equal(await app.authError.panel.count(), 0, 'no error panel');
  }

  /** No request the browser made carried an ID token in its query string. */
  function assertNoTokenInQueries(requests) {
    for (const r of requests) {
      const url = new URL(r.url);
      assert.ok(!url.search.includes('id_token='), `${r.method} ${r.url} carries an ID token in its query`);
    }
  }

  /** Main-frame URLs in order, with their fragments (requests never carry a fragment). */
  function recordFrameUrls(page) {
    const urls = [];
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) urls.push(frame.url()); });
    return urls;
  }

  test('implicit form_post: alice signs in through the server\'s POST bridge, no token in any URL', async (t) => {
    await withServer(t, implicitServer, async (server) => {
      await stack.withSession(t, async ({ page, requests, pageErrors }) => {
        const app = new App(page, { ...stack, appOrigin: server.origin });
        const bridgePages = await keepBodies(page, `${server.origin}/oidc/callback`);
        const callbackPosts = [];
        page.on('request', (req) => {
          if (req.method() === 'POST' && req.url() === `${server.origin}/oidc/callback`) callbackPosts.push(req);
        });
        await app.signIn('alice');

        // The authorization request: implicit, form_post, nonce, no PKCE.
        const authz = navigationsTo(requests, `${stack.discovery.authorization_endpoint}?`);
        assert.equal(authz.length, 1, 'one authorization request');
        const q = authz[0].searchParams;
        assert.equal(q.get('client_id'), IMPLICIT_CLIENT_ID);
        assert.equal(q.get('response_type'), 'id_token');
        assert.equal(q.get('response_mode'), 'form_post');
        assert.equal(q.get('redirect_uri'), `${server.origin}/oidc/callback`);
        assert.ok(q.get('nonce'), 'nonce sent');
        assert.ok(q.get('state'), 'state sent');
        assert.equal(q.get('code_challenge'), null, 'no PKCE in the implicit flow');

        // The IdP's form POSTed to the server, which answered with the callback page itself,
        // the fields in its data block: nothing in a header, a query or a fragment.
        assert.equal(callbackPosts.length, 1, 'one POST /oidc/callback');
        const [post] = callbackPosts;
        assert.ok(post.isNavigationRequest(), 'the POST is a top-level navigation (the IdP\'s form)');
        const posted = new URLSearchParams(post.postData() ?? '');
        assert.match(posted.get('id_token') ?? '', /^eyJ/, 'the form carried the ID token');
        assert.equal(posted.get('state'), q.get('state'));
        const bridge = await post.response();
        assert.equal(bridge.status(), 200, 'the bridge answers with the page');
        assert.equal(bridge.headers().location, undefined, 'no Location');
        assert.equal(bridge.headers()['cache-control'], 'private, no-store');
        assert.equal(bridgePages.length, 1);
        const html = bridgePages[0].body.toString();
        const block = /<script type="application\/json" id="sso-form-post">"([^"<]*)"<\/script>/.exec(html);
        assert.ok(block, 'the page carries the fields');
        assert.ok(new URLSearchParams(JSON.parse(`"${block[1]}"`)).get('id_token'), 'the ID token is among them');

        await page.waitForURL((url) => url.pathname === '/me');
        const final = page.url();
        assert.ok(!final.includes('#') && !final.includes('id_token') && !final.includes('state='), final);
        await assertAliceOnMe(app);
        assertNoTokenInQueries(requests);
        assert.equal(requests.filter((r) => r.url.startsWith(stack.discovery.token_endpoint)).length, 0,
          'no token endpoint in the implicit flow');
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  test('static hosting: no server config, sso-config.json, implicit with the fragment', async (t) => {
    const dist = copyDist({
      'sso-config.json': {
        issuer: stack.issuer, client_id: IMPLICIT_CLIENT_ID, auth_method: 'implicit', response_mode: 'fragment',
      },
    });
    try {
      await withServer(t, { listen: LISTEN.static, issuer: null, dist: dist.dir }, async (server) => {
        const api = await fetch(`${server.origin}/api/v1/sso/config`);
        assert.equal(api.status, 404, 'the server has no SSO config');
        await stack.withSession(t, async ({ page, requests, pageErrors }) => {
          const app = new App(page, { ...stack, appOrigin: server.origin });
          const frameUrls = recordFrameUrls(page);
          const configResponses = [];
          page.on('response', (res) => {
            const { pathname } = new URL(res.url());
            if (['/api/v1/sso/config', '/sso-config.json'].includes(pathname)) configResponses.push([pathname, res.status()]);
          });
          await app.signIn('alice');

          assert.deepEqual(configResponses.slice(0, 2), [['/api/v1/sso/config', 404], ['/sso-config.json', 200]],
            'the API first (404), then the static file');
          const authz = navigationsTo(requests, `${stack.discovery.authorization_endpoint}?`);
          assert.equal(authz.length, 1);
          const q = authz[0].searchParams;
          assert.equal(q.get('client_id'), IMPLICIT_CLIENT_ID);
          assert.equal(q.get('response_type'), 'id_token');
          assert.equal(q.get('response_mode'), 'fragment');
          assert.equal(q.get('redirect_uri'), `${server.origin}/oidc/callback`);

          // The IdP redirected to /oidc/callback#id_token=…; no POST, nothing in a query.
          const callback = frameUrls.map((u) => new URL(u)).find((u) => u.href.startsWith(`${server.origin}/oidc/callback#`));
          assert.ok(callback, `a callback with a fragment: ${frameUrls.join(' ')}`);
          const fields = new URLSearchParams(callback.hash.slice(1));
          assert.match(fields.get('id_token') ?? '', /^eyJ/);
          assert.equal(fields.get('state'), q.get('state'));
          assert.equal(requests.filter((r) => r.method === 'POST' && r.url.endsWith('/oidc/callback')).length, 0);

          await page.waitForURL((url) => url.pathname === '/me');
          assert.ok(!page.url().includes('#') && !page.url().includes('id_token'), page.url());
          await assertAliceOnMe(app);
          assertNoTokenInQueries(requests);
          assert.deepEqual(pageErrors.map(String), []);
        });
      });
    } finally {
      await dist.remove();
    }
  });

  test('token relay: the confidential client\'s code is redeemed by the server; the secret never reaches the browser', async (t) => {
    const secret = E2E_CONFIDENTIAL_SECRET;
    const relayServer = {
      listen: LISTEN.relay, clientId: CONFIDENTIAL_CLIENT_ID, env: { OIDC_SECRET: secret },
    };
    await withServer(t, relayServer, async (server) => {
      const configRes = await fetch(`${server.origin}/api/v1/sso/config`);
      assert.equal(configRes.status, 200);
      const configText = await configRes.text();
      assert.ok(!configText.includes(secret), 'the config API does not hand out the secret');
      const config = JSON.parse(configText);
      assert.equal(config.client_id, CONFIDENTIAL_CLIENT_ID);
      assert.equal(config.token_relay, true, `public config: ${configText}`);

      await stack.withSession(t, async ({ page, requests, pageErrors }) => {
        const app = new App(page, { ...stack, appOrigin: server.origin });
        // Everything the browser received: headers, and bodies where they can still be read.
        const seen = [];
        page.on('response', (res) => {
          seen.push({
            url: res.url(),
            headers: res.allHeaders().catch(() => ({})),
            body: res.body().catch(() => null),
          });
        });
        const relayed = await keepBodies(page, `${server.origin}/api/v1/sso/token`);
        await app.signIn('alice');
        await until(async () => relayed.length > 0, 'the relay answered');
        const [relay] = relayed;
        assert.equal(relay.status, 200, 'the relay answered 200');

        const authz = navigationsTo(requests, `${stack.discovery.authorization_endpoint}?`);
        assert.equal(authz.length, 1);
        const q = authz[0].searchParams;
        assert.equal(q.get('client_id'), CONFIDENTIAL_CLIENT_ID);
        assert.equal(q.get('response_type'), 'code');
        assert.equal(q.get('code_challenge_method'), 'S256', 'PKCE still');

        assert.equal(requests.filter((r) => r.method === 'POST' && r.url === `${server.origin}/api/v1/sso/token`).length, 1,
          'one POST /api/v1/sso/token');
        assert.deepEqual(requests.filter((r) => r.url.startsWith(stack.discovery.token_endpoint)).map((r) => r.url), [],
          'the browser never calls the IdP\'s token endpoint');
        await assertAliceOnMe(app);

        let unreadable = 0;
        for (const r of seen) {
          const headers = await r.headers;
          for (const [name, value] of Object.entries(headers)) {
            assert.ok(!value.includes(secret), `header ${name} of ${r.url} holds the secret`);
          }
          const body = await r.body;
          if (body === null) unreadable += 1;
          else assert.ok(!body.includes(secret), `the body of ${r.url} holds the secret`);
        }
        t.diagnostic(`${seen.length} responses checked, ${unreadable} bodies no longer readable (redirects, left pages)`);
        assert.ok(!relay.body.includes(secret), 'the relay response');
        for (const r of requests) assert.ok(!r.url.includes(secret), r.url);
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  test('RP-initiated logout: the IdP confirms, returns with the state, and the next sign-in asks for credentials', async (t) => {
    await stack.withSession(t, async ({ page, requests, pageErrors }) => {
      const app = new App(page, stack);
      await app.signIn('alice');
      await page.waitForURL((url) => url.pathname === '/me');

      const cookie = await app.sessionCookie();
      assert.ok(cookie, 'signed in with a server session cookie');
      await app.identity.signOutControl.click();
      await app.idpLogout.confirmButton.waitFor();
      const ends = navigationsTo(requests, `${stack.discovery.end_session_endpoint}?`);
      assert.equal(ends.length, 1, 'one end_session request');
      const q = ends[0].searchParams;
      // The server keeps the ID token for this: the hint that Okta and others require.
      const hint = q.get('id_token_hint');
      assert.match(hint ?? '', /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'id_token_hint is the ID token');
      assert.equal(q.get('client_id'), 'sso-web');
      assert.equal(q.get('post_logout_redirect_uri'), `${stack.appOrigin}/logout`);
      assert.ok(q.get('state'), 'state');
      assert.equal(await app.sessionCookie(), null, 'the cookie is gone');
      // The session ended before the browser left: the old cookie is refused, and the hint in
      // the URL makes no new session.
      const replay = await fetch(`${stack.appOrigin}/api/v1/session`, { headers: { cookie: `sso-web-session=${cookie}` } });
      assert.equal(replay.status, 401);
      assert.equal((await replay.json()).error, 'session_revoked');
      const reuse = await fetch(`${stack.appOrigin}/api/v1/session`, {
        method: 'POST',
        headers: { origin: stack.appOrigin, 'content-type': 'application/json' },
        body: JSON.stringify({ id_token: hint, nonce_secret: 'a'.repeat(43) }),
      });
      assert.equal(reuse.status, 400, 'the spent token makes no session');
      assert.equal(await app.storedSession(), null, 'nothing in sessionStorage');

      await app.idpLogout.confirmButton.click();
      await app.logout.signedOut.waitFor();
      const returns = navigationsTo(requests, `${stack.appOrigin}/logout?`);
      assert.equal(returns.length, 1, 'back from the IdP once');
      assert.equal(returns[0].searchParams.get('state'), q.get('state'), 'with the state it was given');
      assert.equal(new URL(page.url()).pathname, '/logout');
      assert.equal(await app.authError.panel.count(), 0);
      assert.match(await app.logout.signInAgain.textContent(), /Sign in again/);

      // The IdP session is gone: signing in again asks for credentials.
      await app.logout.signInAgain.click();
      await page.waitForURL((url) => url.origin === new URL(stack.issuer).origin);
      await app.idpLogin.waitUntilShown();
      await app.idpLogin.signIn('alice');
      await app.passConsentIfAsked();
      await assertAliceOnMe(app);
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('/logout with a foreign or missing state shows signed-out and no error', async (t) => {
    await stack.withSession(t, async ({ page }) => {
      const app = new App(page, stack);
      for (const query of ['?state=foreign-state-0000', '']) {
        await app.logout.goto(query);
        await app.logout.signedOut.waitFor();
        assert.equal(await app.authError.panel.count(), 0, `no error panel (/logout${query})`);
        assert.equal(new URL(page.url()).origin, stack.appOrigin, 'stayed in the app');
      }
      // Signed in, a stray return from the IdP signs out (here, not at the IdP) without an
      // error either.
      await app.signIn('alice');
      await app.logout.goto('?state=foreign-state-0001');
      await app.logout.signedOut.waitFor();
      assert.equal(await app.authError.panel.count(), 0);
      await until(async () => (await app.sessionCookie()) === null, 'the session cookie is cleared');
      assert.equal((await app.serverSession()).status, 401, 'the server session ended');
    });
  });

  test('signing out in tab A signs out tab B (same browser) without a reload', async (t) => {
    await stack.withSession(t, async ({ context, page: pageA }) => {
      const a = new App(pageA, stack);
      await a.signIn('alice');

      // Tab B from tab A: window.open copies A's sessionStorage into B.
      const [pageB] = await Promise.all([
        context.waitForEvent('page'),
        pageA.evaluate((url) => { window.open(url, '_blank'); }, `${stack.appOrigin}/me`),
      ]);
      const b = new App(pageB, stack);
      const navigationsB = [];
      pageB.on('framenavigated', (frame) => { if (frame === pageB.mainFrame()) navigationsB.push(frame.url()); });
      await b.waitUntilSettled();
      if (!(await b.identity.name.isVisible())) {
        // No copied session: sign in in B too (the IdP remembers alice; no credentials asked).
        t.diagnostic('tab B did not inherit the session; signing in there through the IdP session');
        await b.home.clickSignIn(stack);
        await b.passConsentIfAsked();
      }
      await b.identity.waitUntilShown();
      assert.equal(await b.identity.text(b.identity.name), USERS.alice.name);
      navigationsB.length = 0;

      const cookie = await a.sessionCookie();
      await a.signOut();

      await b.home.signInButton.waitFor();
      assert.equal(await b.identity.name.count(), 0, 'tab B shows no identity');
      assert.equal(await b.identity.signOutControl.count(), 0, 'tab B has no sign-out control');
      assert.deepEqual(navigationsB, [], 'tab B neither reloaded nor navigated');
      assert.equal(await b.storedSession(), null, 'nothing stored in tab B');
      // The cookie both tabs shared is dead at the server.
      const replay = await fetch(`${stack.appOrigin}/api/v1/session`, { headers: { cookie: `sso-web-session=${cookie}` } });
      assert.equal(replay.status, 401);
      assert.equal((await replay.json()).error, 'session_revoked');
      await pageB.close();
    });
  });

  test(`${SHORT_CLIENT_ID} (${SHORT_ID_TOKEN_TTL} s ID tokens), SSO_SESSION_LENGTH=60s: signed in past the token's exp (reload, new tab, /admin), then expired at 60 s`, async (t) => {
    await withServer(t, {
      listen: LISTEN.short, clientId: SHORT_CLIENT_ID, env: { SSO_SESSION_LENGTH: '60s' },
    }, async (server) => {
      await stack.withSession(t, async ({ context, page, pageErrors }) => {
        const app = new App(page, { ...stack, appOrigin: server.origin });
        await app.signIn('alice');
        await page.waitForURL((url) => url.pathname === '/me');
        const { body: session } = await app.serverSession();
        const tokenExp = session.id_token.expires_at;
        assert.ok(tokenExp - nowSecs() <= SHORT_ID_TOKEN_TTL, `the ID token lives ${SHORT_ID_TOKEN_TTL} s`);
        assert.equal(session.expires_at - session.signed_in_at, 60, 'the session lives SSO_SESSION_LENGTH');
        const stored = await app.webStorage();
        assert.doesNotMatch(stored, /eyJ[\w-]*\.eyJ/, 'no ID token in web storage');
        assert.ok(!stored.includes('sso-web:session'), 'no session record in web storage');
        assert.match(await app.identity.text(app.identity.sessionExpires), /\(in (1 minute|a few seconds)\)/);

        // Past the ID token's exp (real time: the server's clock decides).
        await page.waitForFunction((exp) => Date.now() / 1000 > exp + 1, tokenExp, { timeout: 45_000, polling: 500 });
        await page.reload();
        await app.identity.kept.waitFor();
        assert.equal(await app.identity.text(app.identity.name), USERS.alice.name, 'signed in after a reload');
        const tab = await context.newPage();
        try {
          const other = new App(tab, { ...stack, appOrigin: server.origin });
          await other.identity.goto();
          await other.identity.kept.waitFor();
          assert.equal(await other.identity.text(other.identity.name), USERS.alice.name, 'signed in in a new tab');
          await other.admin.goto();
          await other.admin.saveButton.waitFor();
          assert.equal(await other.admin.notAdmin.count(), 0, '/admin works for alice after exp');
        } finally {
          await tab.close();
        }

        // At 60 s the open page learns from the server that the session expired.
        await app.home.notice.waitFor({ timeout: 45_000 });
        assert.equal(await app.home.notice.getAttribute('data-notice-code'), 'session_expired');
        assert.match(await app.home.notice.textContent(), /expired/);
        assert.ok(await app.home.signInButton.isVisible(), 'sign-in button shown');
        assert.equal(await app.identity.name.count(), 0, 'no identity shown');
        assert.ok(nowSecs() >= session.expires_at, 'not before the session\'s end');
        // A reload says the same.
        await page.reload();
        await app.home.notice.waitFor();
        assert.equal(await app.home.notice.getAttribute('data-notice-code'), 'session_expired');
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  /**
   * After a sign-in that landed on /me: walks back through the history (re-visiting whatever the
   * IdP serves for its spent pages on the way) and reloads /oidc/callback. No app page may show
   * auth-error; signed in, the app shows the identity on / or /me.
   */
  async function backAndRefresh(t, app, appOrigin) {
    const { page } = app;
    const visited = [];
    const checkAppPage = async (what) => {
      await app.waitUntilSettled();
      const url = new URL(page.url());
      visited.push(`${what} ${url.href}`);
      // The panel's text only when there is one: textContent() on an absent element waits
      // out the 30 s UI timeout (this cost the suite 90 s per test).
      if (await app.authError.panel.count() > 0) {
        assert.fail(`auth-error after ${what} at ${url.href}: ${await app.authError.panel.textContent()}`);
      }
      // Still signed in (the server session): the app shows the identity on / or /me.
      await app.identity.name.or(app.home.identitySummary).first().waitFor();
      assert.ok(['/', '/me'].includes(new URL(page.url()).pathname), `signed in at ${page.url()}`);
    };
    for (let i = 0; i < 12; i += 1) {
      const before = page.url();
      await page.goBack();
      const url = new URL(page.url());
      if (page.url() === before) break;
      if (url.origin !== appOrigin) {
        visited.push(`back ${url.href}`);
        continue;
      }
      await checkAppPage('back');
      if (url.pathname === '/oidc/callback') {
        await page.reload();
        await checkAppPage('reload');
      }
      if (url.href === `${appOrigin}/`) break;
    }
    t.diagnostic(`history, newest first: ${visited.join(' <- ')}`);
    assert.ok(visited.some((v) => v.endsWith(`${appOrigin}/`)), `walked back to the start: ${visited.join(' <- ')}`);

    // The bare callback URL, opened and reloaded while signed in.
    await page.goto(`${appOrigin}/oidc/callback`);
    await checkAppPage('goto /oidc/callback');
    if (new URL(page.url()).pathname === '/oidc/callback') {
      await page.reload();
      await checkAppPage('reload /oidc/callback');
    }
    await page.reload();
    await checkAppPage('reload');
  }

  test('back and refresh after a code + PKCE sign-in never show an error', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      await app.signIn('alice');
      await page.waitForURL((url) => url.pathname === '/me');
      await backAndRefresh(t, app, stack.appOrigin);
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('back and refresh after an implicit form_post sign-in never show an error', async (t) => {
    await withServer(t, implicitServer, async (server) => {
      await stack.withSession(t, async ({ page, pageErrors }) => {
        const app = new App(page, { ...stack, appOrigin: server.origin });
        await app.signIn('alice');
        await page.waitForURL((url) => url.pathname === '/me');
        await backAndRefresh(t, app, server.origin);
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  test('implicit form_post: cancelling at the IdP ends on idp_error with access_denied', async (t) => {
    await withServer(t, implicitServer, async (server) => {
      await stack.withSession(t, async ({ page, requests }) => {
        const app = new App(page, { ...stack, appOrigin: server.origin });
        const callbackPosts = [];
        page.on('request', (req) => {
          if (req.method() === 'POST' && req.url() === `${server.origin}/oidc/callback`) callbackPosts.push(req);
        });
        await app.home.goto();
        await app.home.clickSignIn(stack);
        await app.idpLogin.waitUntilShown();
        await app.idpLogin.cancel();

        await app.authError.waitUntilShown();
        assert.equal(callbackPosts.length, 1, 'the IdP posted the error to the bridge');
        const posted = new URLSearchParams(callbackPosts[0].postData() ?? '');
        assert.equal(posted.get('error'), 'access_denied');
        assert.equal(posted.get('iss'), stack.issuer);
        assert.equal(await app.authError.panel.count(), 1, 'one error panel');
        assert.equal(await app.authError.code(), 'idp_error');
        assert.match(await app.authError.text(), /access_denied/);
        assert.equal(await app.identity.name.count(), 0);
        assert.equal(await app.storedSession(), null, 'no session stored');
        assertNoTokenInQueries(requests);
      });
    });
  });
});
