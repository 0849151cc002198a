//! E2E: the Content-Security-Policy the server sends with the SPA's HTML, and that alice's whole
//! sign-in runs under it without a single violation.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startStack } from './harness.mjs';
import { App } from './pages.mjs';

/** `default-src 'none'; script-src 'self' …` -> Map { 'default-src' => ["'none'"], … } */
function parsePolicy(policy) {
  const directives = new Map();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

describe('content security policy', () => {
  let stack;
  before(async () => { stack = await startStack('csp'); });
  after(async () => { await stack?.close(); });

  test('the HTML carries a CSP without unsafe-inline or unsafe-eval, and sign-in violates none of it',
    async (t) => {
      await stack.withSession(t, async ({ page, pageErrors }) => {
        const violations = [];
        page.on('console', (msg) => {
          if (msg.text().includes('Content Security Policy')) violations.push(`${page.url()}: ${msg.text()}`);
        });

        const response = await page.goto(`${stack.appOrigin}/`);
        assert.equal(response.status(), 200);
        assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
        const policy = response.headers()['content-security-policy'];
        assert.ok(policy, 'GET / has a Content-Security-Policy header');
        t.diagnostic(`CSP: ${policy}`);

        const directives = parsePolicy(policy);
        for (const [name, sources] of directives) {
          for (const unsafe of ["'unsafe-inline'", "'unsafe-eval'"]) {
            assert.ok(!sources.includes(unsafe), `${name} allows ${unsafe}: ${policy}`);
          }
        }
        const scriptSrc = directives.get('script-src') ?? directives.get('default-src');
        assert.ok(scriptSrc, `the policy restricts scripts: ${policy}`);
        assert.ok(!scriptSrc.includes('*'), `script-src is not a wildcard: ${policy}`);
        // The SPA talks to the IdP (discovery, token, JWKS) from the browser.
        const connectSrc = directives.get('connect-src') ?? directives.get('default-src') ?? [];
        assert.ok(connectSrc.includes(new URL(stack.issuer).origin), `connect-src names the IdP: ${policy}`);

        const app = new App(page, stack);
        await app.home.signInButton.waitFor();
        await app.signInFromHome('alice');
        await page.waitForURL((url) => url.pathname === '/me');
        assert.deepEqual(violations, [], 'no CSP violation reported during the sign-in');
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
});
