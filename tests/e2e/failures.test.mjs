//! E2E: what a user sees when the login does not complete: cancelled at the IdP, or a replayed
//! (spent) callback URL. Each asserts the specific data-error-code.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { navigationsTo, startStack } from './harness.mjs';
import { App } from './pages.mjs';

describe('login failures', () => {
  let stack;
  before(async () => { stack = await startStack('failures'); });
  after(async () => { await stack?.close(); });

  async function assertSignedOut(app) {
    await app.identity.goto();
    await app.home.signInButton.waitFor();
    assert.equal(await app.identity.name.count(), 0, 'no identity shown');
  }

  test('cancelling at the IdP shows idp_error with access_denied', async (t) => {
    await stack.withSession(t, async ({ page, requests }) => {
      const app = new App(page, stack);
      await app.home.goto();
      await app.home.clickSignIn(stack);
      await app.idpLogin.waitUntilShown();
      await app.idpLogin.cancel();

      await app.authError.waitUntilShown();
      const callbacks = navigationsTo(requests, `${stack.appOrigin}/oidc/callback?`);
      assert.equal(callbacks.length, 1);
      assert.equal(callbacks[0].searchParams.get('error'), 'access_denied');
      assert.equal(await app.authError.panel.count(), 1, 'one error panel');
      assert.equal(await app.authError.code(), 'idp_error');
      assert.match(await app.authError.text(), /access_denied/);
      assert.equal(await app.identity.name.count(), 0);

      await assertSignedOut(app);
    });
  });

  test('replaying a spent callback URL shows state_mismatch and signs nobody in', async (t) => {
    await stack.withSession(t, async ({ page, requests }) => {
      const app = new App(page, stack);
      await app.signIn('alice');
      const callbacks = navigationsTo(requests, `${stack.appOrigin}/oidc/callback?`);
      assert.equal(callbacks.length, 1);
      const spent = callbacks[0];
      assert.ok(spent.searchParams.get('code') && spent.searchParams.get('state'), spent.href);

      await app.signOut();
      await page.goto(spent.href);

      await app.authError.waitUntilShown();
      assert.equal(await app.authError.code(), 'state_mismatch');
      assert.equal(await app.identity.name.count(), 0);

      await assertSignedOut(app);
    });
  });
});
