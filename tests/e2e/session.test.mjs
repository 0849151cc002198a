//! E2E: the session's lifetime and the routes around it: an expired session (found on a reload,
//! or noticed by the running app), a deep link to /me while signed out, and an unknown path.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { USERS } from '../idp/users.mjs';
import { navigationsTo, startStack } from './harness.mjs';
import { App, SESSION_KEY } from './pages.mjs';

const nowSecs = () => Math.floor(Date.now() / 1000);

describe('session', () => {
  let stack;
  before(async () => { stack = await startStack('session'); });
  after(async () => { await stack?.close(); });

  /** The signed-out view of /me after an expiry: notice, sign-in button, nothing stored. */
  async function assertExpiredView(app) {
    await app.home.notice.waitFor();
    assert.match(await app.home.notice.textContent(), /expired/);
    assert.ok(await app.home.signInButton.isVisible(), 'sign-in button shown');
    assert.equal(await app.identity.name.count(), 0, 'no identity shown');
    assert.equal(await app.identity.signOutControl.count(), 0, 'no sign-out control');
    assert.equal(new URL(app.page.url()).pathname, '/me');
    assert.equal(await app.storedSession(), null, `${SESSION_KEY} removed from sessionStorage`);
  }

  test('an expired stored session is dropped on reload with an "expired" notice', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      await app.signIn('alice');
      await page.waitForURL((url) => url.pathname === '/me');

      const stored = await app.storedSession();
      assert.equal(typeof stored?.expires_at, 'number', `${SESSION_KEY} has a numeric expires_at`);
      assert.ok(stored.expires_at > nowSecs(), 'a fresh session expires in the future');
      await app.setStoredSessionExpiry(nowSecs() - 60);

      await page.reload();
      await assertExpiredView(app);
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('the open app notices the ID token expiring and signs out without a reload', async (t) => {
    await stack.withSession(t, async ({ page, requests, pageErrors }) => {
      // A fake clock that runs at real speed until fastForward: sign-in (WebCrypto, the IdP's
      // cookies, iat/exp checks) runs on the real time.
      await page.clock.install();
      const app = new App(page, stack);
      await app.signIn('alice');
      await page.waitForURL((url) => url.pathname === '/me');
      const { expires_at: expiresAt } = await app.storedSession();
      const lifetime = expiresAt - nowSecs();
      assert.ok(lifetime > 55 * 60 && lifetime <= 3600, `ID token lifetime ~1 h, got ${lifetime} s`);
      const navigationsBefore = requests.filter((r) => r.navigation).length;

      // Past the 1-hour ID token lifetime; the app's 5 s expiry check (setInterval) fires once.
      await page.clock.fastForward('01:01:00');

      await assertExpiredView(app);
      assert.equal(requests.filter((r) => r.navigation).length, navigationsBefore,
        'no navigation or reload: the running app signed out by itself');
      assert.deepEqual(pageErrors.map(String), []);
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
