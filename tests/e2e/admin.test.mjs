//! E2E: the admin page /admin. A server started without OIDC_* variables is set up through it
//! with the setup token, then alice (an admin) and bob (not one) sign in through SSO. Also:
//! env-locked fields, a save conflict between two tabs, a bad issuer, the Cognito preset, and
//! the write-only client secret.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { USERS } from '../idp/users.mjs';
import {
  artifactPath, navigationsTo, newBrowserSession, slug, startServer, startStack, until,
} from './harness.mjs';
import { App } from './pages.mjs';

/** SSO_BOOTSTRAP_TOKEN of every server in this file (at least 16 characters). */
const SETUP_TOKEN = 'e2e-setup-token-4f1c9a7d2b';
/** A server with OIDC_ISSUER and OIDC_CLIENT_ID set (env-locked fields). */
const ENV_SERVER_LISTEN = '127.0.0.1:8191';
/** One throw-away server per test for the tests that do not sign in. */
const SCRATCH_LISTEN = '127.0.0.1:8192';

const CHECK_IDS = ['reachable', 'issuer', 'flow', 'scopes', 'end_session', 'jwks'];

/** `fetch` against the admin API with the setup token; returns `{ status, etag, body, text }`. */
async function adminApi(origin, path, { method = 'GET', body, ifMatch } = {}) {
  const headers = { authorization: `Bearer ${SETUP_TOKEN}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (ifMatch !== undefined) headers['if-match'] = ifMatch;
  const res = await fetch(`${origin}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('etag'), text, body: JSON.parse(text) };
}

/** Saves `settings` through the API, as the setup token (the state a test starts from). */
async function seedSettings(origin, settings) {
  const current = await adminApi(origin, '/api/v1/admin/sso');
  assert.equal(current.status, 200, current.text);
  const saved = await adminApi(origin, '/api/v1/admin/sso', { method: 'PUT', body: settings, ifMatch: current.etag });
  assert.equal(saved.status, 200, saved.text);
  return saved.body;
}

async function publicConfig(origin) {
  const res = await fetch(`${origin}/api/v1/sso/config`);
  return { status: res.status, body: await res.json() };
}

describe('admin', () => {
  let stack;
  before(async () => {
    stack = await startStack('admin', { server: { issuer: null, bootstrapToken: SETUP_TOKEN } });
  });
  after(async () => { await stack?.close(); });

  /** A scratch server without OIDC_* variables for the length of `fn`; removed afterwards. */
  async function withScratchServer(t, fn) {
    const server = await startServer({
      listen: SCRATCH_LISTEN, issuer: null, bootstrapToken: SETUP_TOKEN, logName: `admin.${slug(t.name)}.server`,
    });
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  }

  test('a fresh server without OIDC env is set up through /admin with the setup token', async (t) => {
    const origin = stack.appOrigin;
    const before = await publicConfig(origin);
    assert.equal(before.status, 404, 'no public config before the setup');
    assert.equal(before.body.error, 'sso_not_configured');

    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      const admin = app.admin;
      const response = await admin.goto();
      assert.equal(response.status(), 200);
      const connectSrc = (response.headers()['content-security-policy'] ?? '')
        .split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src ')) ?? '';
      assert.ok(connectSrc.split(' ').includes('http://127.0.0.1:*'),
        `/admin may reach a not-yet-saved loopback IdP: ${connectSrc}`);

      // A wrong token is refused and the form stays.
      await admin.setupTokenInput.waitFor();
      await admin.useSetupToken('not-the-setup-token-000');
      await admin.rejected.waitFor();
      t.diagnostic(`rejected: ${(await admin.rejected.textContent()).trim()}`);
      await admin.setupTokenInput.waitFor();
      assert.equal(await admin.saveButton.count(), 0, 'no editor for a wrong token');

      await admin.useSetupToken(SETUP_TOKEN);
      await admin.waitForEditor();
      assert.match(await page.locator('.admin-form').first().textContent(), /Signed in as\s*setup token/);
      assert.equal(await admin.fieldValue('issuer'), '', 'nothing saved yet: empty issuer');
      assert.equal(await admin.fieldValue('client_id'), '');
      assert.equal(await admin.fieldValue('groups_claim'), 'groups', 'the default groups claim');
      assert.equal(await admin.field('auth_method').inputValue(), 'pkce');
      assert.equal((await admin.secretState.textContent()).trim(), 'not set');
      assert.equal(await page.locator('[data-testid^="env-badge-"]').count(), 0, 'no env-locked field');
      await admin.auditEmpty.waitFor();

      // Register these with the IdP.
      assert.equal((await admin.callbackUrl.textContent()).trim(), `${origin}/oidc/callback`);
      assert.equal((await admin.logoutUrl.textContent()).trim(), `${origin}/logout`);

      await admin.choosePreset('generic');
      await admin.field('issuer').fill(stack.issuer);
      await admin.field('client_id').fill('sso-web');
      assert.equal(await admin.issuerWarnings.count(), 0);

      const items = await admin.checkConfiguration();
      t.diagnostic(`check: ${JSON.stringify(items.map(({ id, status }) => `${id}=${status}`))}`);
      assert.deepEqual(items.map((i) => i.id), CHECK_IDS, 'every check ran, in order');
      for (const item of items) {
        assert.ok(['pass', 'info'].includes(item.status), `check ${item.id} is ${item.status}: ${item.text}`);
      }
      assert.match(items.find((i) => i.id === 'issuer').text, new RegExp(`matches exactly: ${stack.issuer}$`));

      const { response: put, body } = await admin.save();
      assert.equal(put.status(), 200, JSON.stringify(body));
      await admin.saveOk.waitFor();
      const ok = (await admin.saveOk.textContent()).trim();
      assert.match(ok, /sign out/i, ok);
      assert.match(ok, /sign back in/i, ok);
      assert.equal(await admin.saveError.count(), 0);
      assert.equal(body.settings.issuer.value, stack.issuer);
      assert.equal(body.settings.issuer.source, 'ui');
      assert.equal(body.settings.client_id.value, 'sso-web');

      // The audit table: one entry, by the setup token, naming exactly what was typed:
      // untouched defaults (auth method, groups claim, scopes) are not sent, so not logged.
      await admin.audit.waitFor();
      const rows = await admin.auditRows();
      t.diagnostic(`audit: ${JSON.stringify(rows)}`);
      assert.equal(rows.length, 1, 'one audit entry');
      assert.deepEqual(rows[0].fields, ['issuer', 'client_id'], `audit fields: ${rows[0].fields}`);
      assert.equal(rows[0].actor, 'setup token');
      assert.equal(rows[0].version, String(body.version));

      const config = await publicConfig(origin);
      assert.equal(config.status, 200, JSON.stringify(config.body));
      assert.equal(config.body.issuer, stack.issuer);
      assert.equal(config.body.client_id, 'sso-web');
      assert.ok(!('client_secret' in config.body));

      await page.screenshot({ path: artifactPath('admin.png'), fullPage: true });
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('alice signs in through the saved SSO settings and reaches /admin via the nav link', async (t) => {
    await stack.withSession(t, async ({ page, requests, pageErrors }) => {
      const app = new App(page, stack);
      await app.signIn('alice');
      await page.waitForURL((url) => url.pathname === '/me');
      assert.equal(await app.identity.text(app.identity.name), USERS.alice.name);

      await app.navAdmin.waitFor();
      assert.equal(await app.navAdmin.getAttribute('rel'), 'external');
      await app.navAdmin.click();
      await page.waitForURL((url) => url.pathname === '/admin');
      await app.admin.waitForEditor();

      assert.equal(navigationsTo(requests, `${stack.appOrigin}/admin`).length, 1,
        'the Admin link is a full page load of /admin');
      assert.equal(await app.admin.fieldValue('issuer'), stack.issuer, 'the saved issuer');
      assert.equal(await app.admin.fieldValue('client_id'), 'sso-web');
      assert.match(await page.locator('.admin-form').first().textContent(),
        new RegExp(`Signed in as\\s*${USERS.alice.name}`));
      assert.equal(await app.admin.setupTokenInput.count(), 0, 'no setup token needed');
      assert.equal(await app.admin.notAdmin.count(), 0);
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('Sessions: alice sees hers and bob\'s, signs bob out (his tab learns it on focus), then everyone else', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const alice = new App(page, stack);
      await alice.signIn('alice');
      // Bob, in a browser of his own.
      const bobSession = await newBrowserSession(stack.browser, { logName: `admin.${slug(t.name)}.bob` });
      try {
        const bob = new App(bobSession.page, stack);
        await bob.signIn('bob');

        await alice.admin.goto();
        await alice.admin.waitForEditor();
        await alice.admin.sessionRows.first().waitFor();
        const list = await alice.admin.sessionList();
        t.diagnostic(`sessions: ${JSON.stringify(list)}`);
        assert.deepEqual(list.filter((s) => s.current).map((s) => s.user), ['alice@example.com'], 'alice\'s own, marked');
        assert.ok(list.some((s) => s.user === 'bob@example.com' && !s.current), 'bob\'s is listed');

        await alice.admin.signOutSession('bob@example.com').click();
        await alice.admin.page.waitForFunction(
          () => !document.querySelector('[data-session-user="bob@example.com"]'),
        );
        // Bob's open page finds out when he comes back to it.
        await bobSession.page.bringToFront();
        await bobSession.page.evaluate(() => window.dispatchEvent(new Event('focus')));
        await bob.home.notice.waitFor();
        assert.equal(await bob.home.notice.getAttribute('data-notice-code'), 'session_revoked');
        assert.equal(await bob.identity.name.count(), 0, 'bob no longer sees an identity');

        // Bob signs in again (the IdP remembers him: no form); "Sign out everyone else" ends
        // that too, and keeps alice's.
        await bob.home.goto();
        await bob.home.signInButton.click();
        await bob.identity.kept.waitFor();
        await alice.admin.page.reload();
        await alice.admin.waitForEditor();
        await alice.admin.signOutOthers.click();
        await until(async () => (await bob.serverSession()).status === 401, 'bob\'s session ended');
        assert.equal((await bob.serverSession()).body.error, 'session_revoked');
        assert.equal((await alice.serverSession()).status, 200, 'alice stays signed in');
        await alice.admin.page.reload();
        await alice.admin.waitForEditor();
        await alice.admin.audit.waitFor();
        const events = (await alice.admin.auditRows()).map((r) => r.event);
        t.diagnostic(`audit events: ${events.join(', ')}`);
        assert.ok(events.includes('session_revoked') && events.includes('other_sessions_revoked')
          && events.includes('sign_in'), events.join(', '));
      } finally {
        await bobSession.close();
      }
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('bob signs in from /admin and is told he is not an administrator', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      await app.admin.goto();
      await app.waitUntilSignInEnabled();
      await app.home.clickSignIn(stack);
      await app.idpLogin.signIn('bob');
      await app.passConsentIfAsked(app.admin.notAdmin, app.admin.setupTokenInput);

      await app.admin.notAdmin.waitFor();
      assert.equal(new URL(page.url()).pathname, '/admin', 'sign-in returned to /admin');
      const text = await app.admin.notAdmin.textContent();
      assert.match(text, /bob@example\.com/);
      assert.doesNotMatch(text, /admins/, 'a non-admin is not told the admin groups');
      assert.equal(await app.admin.saveButton.count(), 0, 'no editor');
      assert.equal(await app.navAdmin.count(), 0, 'no Admin link for bob');

      // The same after a fresh load of the page.
      await app.admin.goto();
      await app.admin.notAdmin.waitFor();
      assert.equal(await app.admin.saveButton.count(), 0);
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('fields set by the environment are read-only with a "set by" badge', async (t) => {
    const server = await startServer({
      listen: ENV_SERVER_LISTEN, issuer: stack.issuer, clientId: 'sso-web', bootstrapToken: SETUP_TOKEN,
      logName: 'admin.env-server',
    });
    try {
      await stack.withSession(t, async ({ page, pageErrors }) => {
        const admin = new App(page, { ...stack, appOrigin: server.origin }).admin;
        await admin.openWithSetupToken(SETUP_TOKEN);

        assert.equal(await admin.fieldValue('client_id'), 'sso-web');
        assert.notEqual(await admin.field('client_id').getAttribute('readonly'), null, 'client_id has readonly');
        assert.equal(await admin.field('client_id').isEditable(), false);
        assert.equal((await admin.envBadge('client_id').textContent()).trim(), 'set by OIDC_CLIENT_ID');

        assert.equal(await admin.fieldValue('issuer'), stack.issuer);
        assert.notEqual(await admin.field('issuer').getAttribute('readonly'), null, 'issuer has readonly');
        assert.equal((await admin.envBadge('issuer').textContent()).trim(), 'set by OIDC_ISSUER');

        // What the environment does not set stays editable, without a badge.
        for (const field of ['groups_claim', 'scopes']) {
          assert.equal(await admin.field(field).getAttribute('readonly'), null, `${field} editable`);
          assert.equal(await admin.envBadge(field).count(), 0, `no badge on ${field}`);
        }
        assert.equal(await admin.field('auth_method').isDisabled(), false);
        assert.equal(await admin.envBadge('auth_method').count(), 0);
        assert.deepEqual(pageErrors.map(String), []);
      });
    } finally {
      await server.stop();
    }
  });

  test('a save over a newer version conflicts; reloading keeps the typed value and shows the saved one',
    async (t) => {
      await withScratchServer(t, async (server) => {
        const seeded = await seedSettings(server.origin, { issuer: stack.issuer, client_id: 'sso-web' });
        const appStack = { ...stack, appOrigin: server.origin };
        await stack.withSession(t, async ({ page: pageA, pageErrors: errorsA }) => {
          const b = await newBrowserSession(stack.browser, { logName: `admin.${slug(t.name)}.tab-b` });
          try {
            const adminA = new App(pageA, appStack).admin;
            const adminB = new App(b.page, appStack).admin;
            await adminA.openWithSetupToken(SETUP_TOKEN);
            await adminB.openWithSetupToken(SETUP_TOKEN);
            assert.equal(await adminA.fieldValue('groups_claim'), 'groups');
            assert.equal(await adminB.fieldValue('groups_claim'), 'groups');

            await adminA.field('groups_claim').fill('roles_from_a');
            const savedA = await adminA.save();
            assert.equal(savedA.response.status(), 200, JSON.stringify(savedA.body));
            await adminA.saveOk.waitFor();
            assert.equal(savedA.body.version, seeded.version + 1);

            await adminB.field('groups_claim').fill('roles_from_b');
            const conflict = await adminB.save();
            assert.equal(conflict.response.status(), 412, JSON.stringify(conflict.body));
            assert.equal(conflict.body.error, 'precondition_failed');
            await adminB.saveConflict.waitFor();
            assert.equal(await adminB.saveOk.count(), 0);
            assert.equal(await adminB.fieldValue('groups_claim'), 'roles_from_b', 'typed value kept');

            await adminB.reloadNewest.click();
            await adminB.reloaded.waitFor();
            assert.match(await adminB.reloaded.textContent(), new RegExp(`version ${savedA.body.version}\\b`));
            assert.equal(await adminB.fieldValue('groups_claim'), 'roles_from_b', 'typed value still kept');
            await adminB.savedHint('groups_claim').waitFor();
            assert.match(await adminB.savedHint('groups_claim').textContent(), /roles_from_a/);
            for (const same of ['issuer', 'client_id', 'scopes']) {
              assert.equal(await adminB.savedHint(same).count(), 0, `no hint on unchanged ${same}`);
            }

            const savedB = await adminB.save();
            assert.equal(savedB.response.status(), 200, JSON.stringify(savedB.body));
            await adminB.saveOk.waitFor();
            assert.equal(savedB.body.version, savedA.body.version + 1);
            assert.equal(await adminB.savedHint('groups_claim').count(), 0, 'hint gone after the save');

            const now = await adminApi(server.origin, '/api/v1/admin/sso');
            assert.equal(now.body.settings.groups_claim.value, 'roles_from_b');
            assert.equal(now.body.version, savedB.body.version);
            assert.deepEqual(errorsA.map(String), []);
            assert.deepEqual(b.pageErrors.map(String), []);
          } catch (err) {
            await b.page.screenshot({ path: artifactPath(`admin.${slug(t.name)}.tab-b.failure.png`), fullPage: true })
              .catch(() => {});
            throw err;
          } finally {
            await b.close();
          }
        });
      });
    });

  test('a non-https issuer gets an error next to the field and keeps everything typed', async (t) => {
    await withScratchServer(t, async (server) => {
      await stack.withSession(t, async ({ page, pageErrors }) => {
        const admin = new App(page, { ...stack, appOrigin: server.origin }).admin;
        await admin.openWithSetupToken(SETUP_TOKEN);
        await admin.field('client_id').fill('my-spa-client');
        await admin.field('groups_claim').fill('roles');
        await admin.field('scopes').fill('groups offline_access');

        for (const bad of ['ftp://x', 'http://idp.example.com']) {
          await admin.field('issuer').fill(bad);
          const { response, body } = await admin.save();
          assert.equal(response.status(), 400, JSON.stringify(body));
          assert.equal(body.error, 'validation_failed');
          assert.deepEqual(Object.keys(body.fields), ['issuer'], JSON.stringify(body));
          await admin.saveError.waitFor();
          await admin.fieldError('issuer').waitFor();
          const error = (await admin.fieldError('issuer').textContent()).trim();
          t.diagnostic(`${bad}: ${error}`);
          assert.match(error, /https/, `the issuer error mentions https: ${error}`);
          assert.equal(await admin.field('issuer').getAttribute('aria-invalid'), 'true');
          for (const other of ['client_id', 'groups_claim', 'scopes']) {
            assert.equal(await admin.fieldError(other).count(), 0, `no error on ${other}`);
          }
          assert.equal(await admin.saveOk.count(), 0);
          // Nothing typed is lost.
          assert.equal(await admin.fieldValue('issuer'), bad);
          assert.equal(await admin.fieldValue('client_id'), 'my-spa-client');
          assert.equal(await admin.fieldValue('groups_claim'), 'roles');
          assert.equal(await admin.fieldValue('scopes'), 'groups offline_access');
        }
        assert.equal((await publicConfig(server.origin)).status, 404, 'nothing was saved');
        assert.equal(await admin.auditEmpty.count(), 1, 'no audit entry');

        // Fixing the issuer saves and clears the error.
        await admin.field('issuer').fill(stack.issuer);
        const { response } = await admin.save();
        assert.equal(response.status(), 200);
        await admin.saveOk.waitFor();
        assert.equal(await admin.fieldError('issuer').count(), 0, 'the error is gone');
        assert.equal(await admin.field('issuer').getAttribute('aria-invalid'), 'false');
        const config = await publicConfig(server.origin);
        assert.equal(config.body.client_id, 'my-spa-client');
        assert.deepEqual(config.body.scopes, ['groups', 'offline_access']);
        assert.equal(config.body.groups_claim, 'roles');
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  test('the Cognito preset builds the issuer, catches a pool of another region, and warns on a Cognito domain',
    async (t) => {
      await withScratchServer(t, async (server) => {
        await stack.withSession(t, async ({ page, pageErrors }) => {
          const admin = new App(page, { ...stack, appOrigin: server.origin }).admin;
          await admin.openWithSetupToken(SETUP_TOKEN);
          await admin.choosePreset('cognito');
          await admin.presetInput('region').waitFor();
          assert.match(await admin.presetSteps.textContent(), /Cognito/);

          await admin.presetInput('region').fill('us-east-1');
          await admin.presetInput('pool').fill('us-east-1_AbC123');
          assert.equal(await admin.fieldValue('issuer'), 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123');
          assert.equal(await admin.presetProblem.count(), 0);
          assert.equal(await admin.issuerWarnings.count(), 0, 'the real issuer gets no warning');

          await admin.presetInput('pool').fill('eu-west-1_AbC123');
          await admin.presetProblem.waitFor();
          const problem = (await admin.presetProblem.textContent()).trim();
          assert.match(problem, /eu-west-1/, problem);
          assert.match(problem, /us-east-1/, problem);

          await admin.field('issuer').fill('https://acme.auth.us-east-1.amazoncognito.com');
          await admin.issuerWarnings.first().waitFor();
          const warnings = (await admin.issuerWarnings.allTextContents()).map((s) => s.trim());
          assert.equal(warnings.length, 1, JSON.stringify(warnings));
          assert.match(warnings[0], /cognito-idp\.REGION\.amazonaws\.com/, warnings[0]);
          assert.deepEqual(pageErrors.map(String), []);
        });
      });
    });

  test('the client secret is write-only: saved as "set", never sent back to the browser', async (t) => {
    const secret = `e2e-secret-${Date.now().toString(36)}-Zq8vWx3`;
    await withScratchServer(t, async (server) => {
      await seedSettings(server.origin, { issuer: stack.issuer, client_id: 'sso-web' });
      await stack.withSession(t, async ({ page, pageErrors }) => {
        const bodies = [];
        const sent = [];
        page.on('request', (req) => {
          if (req.url().includes('/api/')) sent.push(req.postData() ?? '');
        });
        page.on('response', (res) => {
          bodies.push(res.body()
            .then((buf) => ({ url: res.url(), status: res.status(), text: buf.toString('utf8') }))
            .catch((err) => ({ url: res.url(), status: res.status(), error: err.message })));
        });
        const checkBodies = async () => {
          const all = await Promise.all(bodies);
          const api = all.filter((r) => new URL(r.url).pathname.startsWith('/api/'));
          for (const r of api) assert.equal(r.error, undefined, `body of ${r.url} (${r.status}) unread: ${r.error}`);
          for (const r of all) {
            assert.ok(!(r.text ?? '').includes(secret), `the secret is in the response of ${r.url}`);
          }
          return api;
        };
        const assertNotInPage = async () => {
          assert.ok(!(await page.content()).includes(secret), 'the secret is in the page HTML');
          const stored = await page.evaluate(() => JSON.stringify([
            Object.entries(window.sessionStorage), Object.entries(window.localStorage)]));
          assert.ok(!stored.includes(secret), 'the secret is in web storage');
        };

        const admin = new App(page, { ...stack, appOrigin: server.origin }).admin;
        await admin.openWithSetupToken(SETUP_TOKEN);
        assert.equal((await admin.secretState.textContent()).trim(), 'not set');
        await admin.secretReplace.click();
        await admin.secretInput.fill(secret);
        assert.equal(await admin.secretInput.getAttribute('type'), 'password');
        const { response, body } = await admin.save();
        assert.equal(response.status(), 200, JSON.stringify(body));
        await admin.saveOk.waitFor();
        assert.equal((await admin.secretState.textContent()).trim(), 'set');
        assert.equal(await admin.secretInput.count(), 0, 'the input is gone after the save');
        assert.deepEqual(body.settings.client_secret, { set: true, source: 'ui', env_var: null });
        assert.ok(sent.some((s) => s.includes(secret)), 'the PUT carried the secret (the recorder works)');
        await admin.audit.waitFor();
        assert.ok((await admin.auditRows())[0].fields.includes('client_secret'));
        await assertNotInPage();
        const apiBefore = await checkBodies();

        // A fresh load of the page still knows only that it is set.
        await page.reload();
        await admin.waitForEditor();
        assert.equal((await admin.secretState.textContent()).trim(), 'set');
        await admin.secretClear.waitFor();
        await admin.audit.waitFor();
        await assertNotInPage();
        const api = await checkBodies();
        const paths = api.map((r) => `${r.status} ${new URL(r.url).pathname}`);
        t.diagnostic(`api responses read: ${paths.join(', ')}`);
        assert.ok(api.length > apiBefore.length, 'the reload read the settings again');
        for (const path of ['/api/v1/admin/whoami', '/api/v1/admin/sso', '/api/v1/admin/sso/audit']) {
          assert.ok(paths.some((p) => p.endsWith(` ${path}`)), `read a response of ${path}`);
        }

        // Nor does the API answer it to anyone else, nor is it in the server's log.
        const doc = await adminApi(server.origin, '/api/v1/admin/sso');
        assert.ok(!doc.text.includes(secret));
        assert.equal(doc.body.settings.client_secret.set, true);
        assert.ok(!(await readFile(server.logFile, 'utf8')).includes(secret), 'the secret is in the server log');
        assert.deepEqual(pageErrors.map(String), []);
      });
    });
  });

  test('a settings change while a sign-in is at the IdP stops it at the callback (config_invalid)',
    async (t) => {
      await stack.withSession(t, async ({ page }) => {
        const app = new App(page, stack);
        await app.home.goto();
        await app.home.clickSignIn(stack);
        await app.idpLogin.waitUntilShown();
        // The callback starts from this tab's snapshot of the settings, but the server's
        // current ones decide.
        const before = await adminApi(stack.appOrigin, '/api/v1/admin/sso');
        const changed = await adminApi(stack.appOrigin, '/api/v1/admin/sso',
          { method: 'PUT', body: { client_id: 'another-client' }, ifMatch: before.etag });
        assert.equal(changed.status, 200, changed.text);
        try {
          await app.idpLogin.signIn('alice');
          await app.passConsentIfAsked(app.authError.panel);
          await app.authError.waitUntilShown();
          assert.equal(await app.authError.code(), 'config_invalid');
          assert.match(await app.authError.text(), /settings changed while this sign-in was in progress/);
          assert.equal(await app.storedSession(), null, 'nobody signed in');
        } finally {
          const now = await adminApi(stack.appOrigin, '/api/v1/admin/sso');
          const restored = await adminApi(stack.appOrigin, '/api/v1/admin/sso',
            { method: 'PUT', body: { client_id: 'sso-web' }, ifMatch: now.etag });
          assert.equal(restored.status, 200, restored.text);
        }
      });
    });
});
