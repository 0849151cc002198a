//! E2E: what a user sees when the login does not complete: cancelled at the IdP, a replayed
//! (spent) callback URL, a callback whose state was tampered with, or an IdP whose discovery
//! document cannot be fetched. Each asserts the specific data-error-code.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertPortFree, closedLoopbackPort, navigationsTo, rewriteCallbackRedirect, startServer, startStack,
} from './harness.mjs';
import { App } from './pages.mjs';

/** A second sso-server, for an IdP that is not there. */
const DEAD_ISSUER_APP_LISTEN = '127.0.0.1:8191';

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

  test('a callback whose state was changed shows state_mismatch and signs nobody in', async (t) => {
    await stack.withSession(t, async ({ context, page, requests }) => {
      const tampered = 'tampered-state-0000000000000000000000000000';
      const seen = await rewriteCallbackRedirect(context, {
        issuer: stack.issuer,
        appOrigin: stack.appOrigin,
        rewrite: (url) => { url.searchParams.set('state', tampered); return url; },
      });
      const app = new App(page, stack);
      await app.home.goto();
      await app.home.clickSignIn(stack);
      await app.idpLogin.signIn('alice');
      await app.passConsentIfAsked();

      await app.authError.waitUntilShown();
      assert.equal(await app.authError.code(), 'state_mismatch');
      assert.equal(await app.identity.name.count(), 0);

      // The IdP did answer with a code and the real state; only the state was changed.
      const authz = navigationsTo(requests, `${stack.discovery.authorization_endpoint}?`);
      assert.equal(authz.length, 1);
      assert.equal(seen.original.length, 1, 'the redirect to the callback was rewritten once');
      assert.equal(seen.original[0].searchParams.get('state'), authz[0].searchParams.get('state'));
      assert.ok(seen.original[0].searchParams.get('code'), 'the IdP issued a code');
      const callbacks = navigationsTo(requests, `${stack.appOrigin}/oidc/callback?`);
      assert.equal(callbacks.length, 1);
      assert.equal(callbacks[0].searchParams.get('state'), tampered);
      assert.equal(callbacks[0].searchParams.get('code'), seen.original[0].searchParams.get('code'));
      // No code was redeemed.
      assert.equal(requests.filter((r) => r.url === stack.discovery.token_endpoint).length, 0,
        'no token request');

      assert.equal(await app.storedSession(), null, 'no session stored');
      await assertSignedOut(app);
    });
  });

  test('an unreachable IdP shows discovery_failed and the sign-in button works again', async (t) => {
    const deadPort = await closedLoopbackPort();
    const deadIssuer = `http://127.0.0.1:${deadPort}`;
    const deadServer = await startServer({
      listen: DEAD_ISSUER_APP_LISTEN, issuer: deadIssuer, clientId: 'sso-web', logName: 'failures.dead-issuer.server',
    });
    try {
      await assertPortFree('127.0.0.1', deadPort, 'the dead issuer');
      await stack.withSession(t, async ({ page, requests, pageErrors }) => {
        const app = new App(page, { ...stack, appOrigin: deadServer.origin, issuer: deadIssuer });
        const cspViolations = [];
        page.on('console', (msg) => {
          if (msg.text().includes('Content Security Policy')) cspViolations.push(msg.text());
        });
        await app.home.goto();
        assert.match(await app.home.signInButton.textContent(), /127\.0\.0\.1/, 'names the IdP host');

        const discoveryUrl = `${deadIssuer}/.well-known/openid-configuration`;
        const discoveryRequest = page.waitForRequest(discoveryUrl);
        await app.home.signInButton.click();
        await discoveryRequest;

        await app.authError.waitUntilShown();
        assert.equal(await app.authError.code(), 'discovery_failed');
        assert.ok((await app.authError.text()).includes(discoveryUrl), 'the error names the URL it tried');
        await app.waitUntilSignInEnabled();
        assert.match(await app.home.signInButton.textContent(), /Sign in with SSO/);

        // Still on the app's home page; nothing ever navigated elsewhere.
        assert.equal(page.url(), `${deadServer.origin}/`);
        const navigations = requests.filter((r) => r.navigation).map((r) => r.url);
        assert.deepEqual(navigations, [`${deadServer.origin}/`]);
        assert.deepEqual(cspViolations, [], 'the discovery fetch failed on the network, not on CSP');
        assert.deepEqual(pageErrors.map(String), []);
      });
    } finally {
      await deadServer.stop();
    }
  });
});
