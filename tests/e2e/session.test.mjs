//! E2E: the session's lifetime and the routes around it. With sso-server: idle expiry
//! (SSO_SESSION_IDLE) noticed by the open page, a deep link to /me while signed out, and an
//! unknown path. On a static host (no server session): the ID token's expiry, found on a reload
//! or noticed by the running app.
//
// Ports: the stack's server on 8190; 8197 static hosting (sso-config.json), 8198 SSO_SESSION_IDLE.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { USERS } from '../idp/users.mjs';
import {
  copyDist, navigationsTo, slug, startServer, startStack,
} from './harness.mjs';
import { App, SESSION_KEY } from './pages.mjs';

const LISTEN = Object.freeze({ static: '127.0.0.1:8197', idle: '127.0.0.1:8198' });
const origin = (listen) => `http://${listen}`;
const nowSecs = () => Math.floor(Date.now() / 1000);

describe('session', () => {
  let stack;
  before(async () => {
    stack = await startStack('session', { redirectOrigins: Object.values(LISTEN).map(origin) });
  });
  after(async () => { await stack?.close(); });

  /** Starts one more sso-server against the stack's IdP, runs `fn(server)`, stops it. */
  async function withServer(t, options, fn) {
    const server = await startServer({ issuer: stack.issuer, logName: `session.${slug(t.name)}.server`, ...options });
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  }

  /** A static host: the server has no SSO settings, the app reads sso-config.json. */
  async function withStaticHost(t, fn) {
    const dist = copyDist({ 'sso-config.json': { issuer: stack.issuer, client_id: 'sso-web' } });
    try {
      await withServer(t, { listen: LISTEN.static, issuer: null, dist: dist.dir }, fn);
    } finally {
      await dist.remove();
    }
  }

  /** The signed-out view of /me after an expiry: notice, sign-in button, nothing stored. */
  async function assertExpiredView(app) {
    await app.home.notice.waitFor();
    assert.match(await app.home.notice.textContent(), /expired/);
    assert.equal(await app.home.notice.getAttribute('data-notice-code'), 'session_expired');
    // On a static host the button waits for sso-config.json; the notice does not.
    await app.home.signInButton.waitFor({ state: 'visible' });
    assert.equal(await app.identity.name.count(), 0, 'no identity shown');
    assert.equal(await app.identity.signOutControl.count(), 0, 'no sign-out control');
    assert.equal(new URL(app.page.url()).pathname, '/me');
    assert.equal(await app.storedSession(), null, `${SESSION_KEY} removed from sessionStorage`);
  }

  test('static host: an expired stored session is dropped on reload with an "expired" notice', async (t) => {
    await withStaticHost(t, async (server) => {
      await stack.withSession(t, async ({ page, pageErrors }) => {
        const app = new App(page, { ...stack, appOrigin: server.origin });
        await app.signIn('alice');
        await page.waitForURL((url) => url.pathname === '/me');

        const stored = await app.storedSession();
        assert.equal(typeof stored?.expires_at, 'number', `${SESSION_KEY} has a numeric expires_at`);
        assert.ok(stored.expires_at > nowSecs(), 'a fresh session expires in the future');
        assert.ok(!JSON.stringify(stored).match(/eyJ[\w-]+\.[\w-]+\./), 'the ID token itself is not stored');
        assert.equal(await app.sessionCookie(), null, 'no server session on a static host');
        await app.setStoredSessionExpiry(nowSecs() - 60);

        await page.reload();
        await assertExpiredView(app);
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  test('static host: the open app notices the ID token expiring and signs out without a reload', async (t) => {
    await withStaticHost(t, async (server) => {
      await stack.withSession(t, async ({ page, requests, pageErrors }) => {
        // A fake clock that runs at real speed until fastForward: sign-in (WebCrypto, the IdP's
        // cookies, iat/exp checks) runs on the real time.
        await page.clock.install();
        const app = new App(page, { ...stack, appOrigin: server.origin });
        await app.signIn('alice');
        await page.waitForURL((url) => url.pathname === '/me');
        const { expires_at: expiresAt } = await app.storedSession();
        const lifetime = expiresAt - nowSecs();
        assert.ok(lifetime > 55 * 60 && lifetime <= 3600, `ID token lifetime ~1 h, got ${lifetime} s`);
        const navigationsBefore = requests.filter((r) => r.navigation).length;

        // Past the 1-hour ID token lifetime; the app's once-a-second check fires.
        await page.clock.fastForward('01:01:00');

        await assertExpiredView(app);
        assert.equal(requests.filter((r) => r.navigation).length, navigationsBefore,
          'no navigation or reload: the running app signed out by itself');
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  test('SSO_SESSION_IDLE=6s: an unused session ends, and the open page says so', async (t) => {
    await withServer(t, { listen: LISTEN.idle, env: { SSO_SESSION_IDLE: '6s' } }, async (server) => {
      await stack.withSession(t, async ({ page, pageErrors }) => {
        const app = new App(page, { ...stack, appOrigin: server.origin });
        await app.signIn('alice');
        const { body: session } = await app.serverSession();
        assert.equal(session.idle_expires_at - session.signed_in_at, 6, `idle end: ${JSON.stringify(session)}`);
        assert.match(await app.identity.text(app.identity.sessionExpires), /if unused until then/);

        // Nothing uses the session: the page's own checks are passive.
        await app.home.notice.waitFor({ timeout: 20_000 });
        assert.equal(await app.home.notice.getAttribute('data-notice-code'), 'session_expired');
        assert.ok(nowSecs() >= session.idle_expires_at, 'not before the idle end');
        assert.equal((await app.serverSession()).body.error, 'session_expired');
        // A reload cannot bring it back.
        await page.reload();
        await app.home.notice.waitFor();
        assert.equal(await app.home.notice.getAttribute('data-notice-code'), 'session_expired');
        assert.equal(await app.identity.name.count(), 0);
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  test('a deep link to /me while signed out offers sign-in and returns to /me', async (t) => {
    await stack.withSession(t, async ({ page, requests }) => {
      const app = new App(page, stack);
      await app.identity.goto();
      await app.home.signInButton.waitFor();
      assert.equal(new URL(page.url()).pathname, '/me');
      assert.equal(await app.identity.name.count(), 0, 'no identity while signed out');
      assert.equal(await app.home.notice.count(), 0, 'no notice on a first visit');

      await app.signInFromHome('alice');
      await page.waitForURL((url) => url.pathname === '/me');
      assert.equal(await app.identity.text(app.identity.name), USERS.alice.name);
      // The journey started on /me, not on /: the home page was never loaded.
      const appPages = navigationsTo(requests, stack.appOrigin).map((u) => u.pathname);
      assert.deepEqual(appPages, ['/me', '/oidc/callback']);
    });
  });

  test('the server refusing the session: the callback page says session_exchange_failed, keeps nothing', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      // The exchange's nonce secret is altered on its way: sso-server must refuse the ID token.
      await page.route(`${stack.appOrigin}/api/v1/session`, async (route) => {
        const request = route.request();
        if (request.method() !== 'POST') {
          await route.fallback();
          return;
        }
        const body = JSON.parse(request.postData() ?? '{}');
        await route.continue({ postData: JSON.stringify({ ...body, nonce_secret: 'A'.repeat(43) }) });
      });
      // The callback page shows the identity before the exchange: note that it did.
      await page.addInitScript(() => {
        if (window.location.pathname !== '/oidc/callback') return;
        new MutationObserver((_, observer) => {
          if (document.querySelector('[data-testid="identity-name"]')) {
            window.sawIdentity = true;
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await app.home.goto();
      await app.home.clickSignIn(stack);
      await app.idpLogin.signIn('alice');
      await app.passConsentIfAsked();
      await app.authError.waitUntilShown();
      assert.equal(await app.authError.code(), 'session_exchange_failed');
      assert.equal(await page.evaluate(() => window.sawIdentity), true, 'the identity was shown first');
      assert.equal(await app.identity.name.count(), 0, 'the identity shown before the exchange is taken down');
      // The main app would have been imported at the refusal, and its main() empties the page.
      const callbackDocument = await page.evaluate(() => ({
        page: document.getElementById('callback-main') !== null,
        boots: performance.getEntriesByName('sso:boot', 'mark').length,
        mainBundle: performance.getEntriesByType('resource').filter((r) => /\/sso-web-[0-9a-f]+\.js$/.test(r.name)).length,
      }));
      assert.deepEqual(callbackDocument, { page: true, boots: 1, mainBundle: 0 }, 'the main app did not take the page over');
      assert.equal(await page.evaluate(async () => (await fetch('/api/v1/session')).status), 401, 'no server session');
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('an unknown path shows the not-found page', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      await app.notFound.goto('/does-not-exist');
      await app.notFound.panel.waitFor();
      assert.match(await app.notFound.panel.textContent(), /not found/i);
      assert.equal(new URL(page.url()).pathname, '/does-not-exist');
      assert.equal(await app.identity.name.count(), 0);
      assert.deepEqual(pageErrors.map(String), []);
    });
  });
});
