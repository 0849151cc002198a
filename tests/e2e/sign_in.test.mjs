//! E2E: alice signs in with Authorization Code + PKCE, keeps her session over a reload, signs out,
//! and leaves no token in localStorage and no code in the history.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { USERS } from '../idp/users.mjs';
import { artifactPath, keepBodies, navigationsTo, startStack } from './harness.mjs';
import { App } from './pages.mjs';

describe('sign-in', () => {
  let stack;
  before(async () => { stack = await startStack('sign-in'); });
  after(async () => { await stack?.close(); });

  test('alice signs in with code + PKCE S256 and lands on a clean /me', async (t) => {
    await stack.withSession(t, async ({ page, requests, pageErrors }) => {
      const app = new App(page, stack);
      await app.home.goto();
      assert.ok((await app.home.signInButton.textContent()).includes(new URL(stack.issuer).hostname),
        'the sign-in button names the IdP host');
      await app.signInFromHome('alice');

      // The authorization request the browser actually sent.
      const authz = navigationsTo(requests, `${stack.discovery.authorization_endpoint}?`);
      assert.equal(authz.length, 1, 'one authorization request');
      const q = authz[0].searchParams;
      assert.equal(q.get('response_type'), 'code');
      assert.equal(q.get('client_id'), 'sso-web');
      assert.equal(q.get('redirect_uri'), `${stack.appOrigin}/oidc/callback`);
      assert.equal(q.get('code_challenge_method'), 'S256');
      assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/, 'base64url SHA-256 challenge');
      assert.ok(q.get('state'), 'state sent');
      assert.ok(q.get('nonce'), 'nonce sent');
      assert.notEqual(q.get('state'), q.get('nonce'));
      const scopes = (q.get('scope') ?? '').split(' ');
      for (const scope of ['openid', 'profile', 'email']) assert.ok(scopes.includes(scope), `scope ${scope}`);

      // The IdP sent the browser back with a code, the same state and its iss (RFC 9207).
      const callbacks = navigationsTo(requests, `${stack.appOrigin}/oidc/callback?`);
      assert.equal(callbacks.length, 1, 'one callback navigation');
      const cb = callbacks[0].searchParams;
      assert.ok(cb.get('code'));
      assert.equal(cb.get('state'), q.get('state'));
      assert.equal(cb.get('iss'), stack.issuer);

      // The SPA finished the login and replaced the callback URL with /me.
      await page.waitForURL((url) => url.pathname === '/me');
      const finalUrl = page.url();
      assert.equal(new URL(finalUrl).pathname, '/me');
      assert.ok(!finalUrl.includes('code='), finalUrl);
      assert.ok(!finalUrl.includes('state='), finalUrl);

      const me = app.identity;
      const alice = USERS.alice;
      assert.equal(await me.text(me.name), alice.name);
      assert.equal(await me.text(me.username), alice.preferred_username);
      assert.equal(await me.text(me.email), 'alice@example.com');
      assert.equal(await me.text(me.subject), alice.sub);
      assert.equal(await me.text(me.issuer), stack.issuer);
      assert.deepEqual((await me.groupNames()).sort(), ['admins', 'ml-team']);
      assert.ok(await me.signOutControl.isVisible(), 'sign-out control shown');
      assert.equal(await app.authError.panel.count(), 0);
      assert.deepEqual(pageErrors.map(String), []);

      await page.screenshot({ path: artifactPath('me.png'), fullPage: true });
    });
  });

  test('a reload on /me keeps the session', async (t) => {
    await stack.withSession(t, async ({ page }) => {
      const app = new App(page, stack);
      await app.signIn('alice');
      await page.waitForURL((url) => url.pathname === '/me');

      await page.reload();
      await app.identity.waitUntilShown();
      assert.equal(await app.identity.text(app.identity.name), USERS.alice.name);
      assert.equal(new URL(page.url()).pathname, '/me');
      assert.equal(await app.home.signInButton.count(), 0, 'no sign-in button while signed in');
    });
  });

  test('sign-out ends the session', async (t) => {
    await stack.withSession(t, async ({ page }) => {
      const app = new App(page, stack);
      await app.signIn('alice');

      await app.signOut();
      assert.equal(new URL(page.url()).origin, stack.appOrigin);
      assert.equal(new URL(page.url()).pathname, '/logout');

      await app.identity.goto();
      await app.home.signInButton.waitFor();
      assert.equal(await app.identity.name.count(), 0, 'no identity after sign-out');
      assert.equal(await app.identity.signOutControl.count(), 0, 'no sign-out control after sign-out');
    });
  });

  test('nav links move between pages without a reload; Back and Forward follow', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      await app.signIn('alice');
      await page.waitForURL((url) => url.pathname === '/me');
      await app.identity.waitUntilShown();
      // A reload would drop this marker (and re-download nothing, but restart the app).
      await page.evaluate(() => { window.stillTheSameDocument = true; });
      const current = (name) => page.getByRole('link', { name, exact: true });
      assert.equal(await current('My identity').getAttribute('aria-current'), 'page');

      await current('sso-web').click();
      await page.getByTestId('identity-summary').waitFor();
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal(await current('My identity').getAttribute('aria-current'), null);
      assert.equal(await current('sso-web').getAttribute('aria-current'), 'page');

      await page.goBack();
      await app.identity.waitUntilShown();
      assert.equal(new URL(page.url()).pathname, '/me');
      await page.goForward();
      await page.getByTestId('identity-summary').waitFor();
      assert.equal(new URL(page.url()).pathname, '/');

      await page.getByRole('link', { name: 'View my identity' }).click();
      await app.identity.waitUntilShown();
      assert.equal(await page.evaluate(() => window.stillTheSameDocument), true, 'no page load in between');

      // An unknown path in the same app is the not-found page, with a way home.
      await page.evaluate(() => { history.pushState(null, '', '/nowhere'); dispatchEvent(new PopStateEvent('popstate')); });
      await app.notFound.panel.waitFor();
      // A trailing slash is the same page, as under leptos_router.
      await page.goto(`${stack.appOrigin}/me/`);
      await app.identity.waitUntilShown();
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('no token in localStorage and no code in the history after sign-in', async (t) => {
    await stack.withSession(t, async ({ page }) => {
      const app = new App(page, stack);
      const tokenResponses = await keepBodies(page, stack.discovery.token_endpoint);
      await app.signIn('alice');
      assert.equal(tokenResponses.length, 1, 'one token request');
      const tokens = JSON.parse(tokenResponses[0].body);
      assert.match(tokens.id_token ?? '', /^eyJ/, 'the SPA received an ID token');

      const local = await page.evaluate(() => Object.entries(window.localStorage));
      for (const [key, value] of local) {
        for (const secret of [tokens.id_token, tokens.access_token, 'eyJ']) {
          assert.ok(!value.includes(secret) && !key.includes(secret), `localStorage[${key}] holds a token`);
        }
      }
      // The session is per tab (sessionStorage), so it must be there instead.
      assert.ok(await page.evaluate(() => window.sessionStorage.length) > 0, 'session in sessionStorage');

      // Walk the history back to the page the sign-in started from: no entry may carry the code.
      const visited = [];
      for (let i = 0; i < 15; i += 1) {
        const before = page.url();
        await page.goBack();
        if (page.url() === before) break;
        visited.push(page.url());
        if (page.url() === `${stack.appOrigin}/`) break;
      }
      t.diagnostic(`history, newest first: ${visited.join(' <- ')}`);
      assert.ok(visited.includes(`${stack.appOrigin}/`), `history walked back to the start: ${visited.join(' <- ')}`);
      for (const url of visited) {
        assert.ok(!/[?&#](code|state)=/.test(url) || new URL(url).origin !== stack.appOrigin,
          `history entry with a code or state: ${url}`);
      }
    });
  });
});
