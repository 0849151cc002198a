//! E2E: accessibility. axe-core (WCAG 2.0/2.1 A and AA, plus best practices) on every page and
//! state of the SPA must find no violation; and a keyboard-only user can sign in and out, always
//! sees where the focus is, and lands on the error panel when a sign-in fails.
//!
//! No rule is disabled and nothing is excluded: a violation is a bug in the app. Each one is
//! printed (rule, impact, element, help) and saved to artifacts/a11y.<test>.json.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { AxeBuilder } from '@axe-core/playwright';

import { artifactPath, rewriteCallbackRedirect, slug, startServer, startStack } from './harness.mjs';
import { App } from './pages.mjs';

/** WCAG 2.0 and 2.1, levels A and AA, and axe's best practices. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** SSO_BOOTSTRAP_TOKEN of the unconfigured server for the /admin states. */
const SETUP_TOKEN = 'e2e-a11y-setup-token-7c2e91';
/** An unconfigured server (no OIDC_* env), set up through /admin: the issuer field is editable. */
const ADMIN_LISTEN = '127.0.0.1:8191';

/** One line per violating node: `[impact] rule: help (url)` then the target and the HTML. */
function formatViolations(violations) {
  const lines = [];
  for (const v of violations) {
    lines.push(`[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes) {
      lines.push(`    target: ${JSON.stringify(node.target)}`);
      lines.push(`      html: ${node.html.replace(/\s+/g, ' ').slice(0, 300)}`);
      const summary = (node.failureSummary ?? '').replace(/\s+/g, ' ').trim();
      if (summary) lines.push(`      why:  ${summary.slice(0, 400)}`);
    }
  }
  return lines.join('\n');
}

/**
 * Runs axe on the whole page as it is now and asserts no violation. `label` names the state in
 * the message, the diagnostics and the artifact file.
 */
async function assertNoAxeViolations(t, page, label) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const file = artifactPath(`a11y.${slug(label)}.json`);
  writeFileSync(file, `${JSON.stringify({
    url: results.url,
    violations: results.violations,
    incomplete: results.incomplete.map(({ id, impact, help, nodes }) => ({ id, impact, help, targets: nodes.map((n) => n.target) })),
  }, null, 2)}\n`);
  const incomplete = results.incomplete.map((r) => r.id);
  t.diagnostic(`${label}: ${results.passes.length} rules passed, ${results.violations.length} violated`
    + (incomplete.length ? `, needs review (not failed): ${incomplete.join(', ')}` : ''));
  if (results.violations.length) {
    const report = formatViolations(results.violations);
    for (const line of report.split('\n')) t.diagnostic(line);
    assert.fail(`axe: ${results.violations.length} violation(s) on ${label} (${results.url}); see ${file}\n${report}`);
  }
}

/**
 * Where the focus is, as the user would see it: the focused element, whether it is rendered and
 * on screen, and whether it draws a focus indicator (an outline or a box-shadow). null when
 * nothing (or the body) has focus.
 */
function focusState(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    const transparent = (color) => color === 'transparent' || /rgba\([^)]*,\s*0\)$/.test(color);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
      && !transparent(style.outlineColor);
    const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
    const testid = el.getAttribute('data-testid');
    const text = (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
    return {
      element: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${testid ? `[data-testid=${testid}]` : ''}`
        + `${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''}${text ? ` "${text}"` : ''}`,
      url: location.href,
      focusVisible: el.matches(':focus-visible'),
      rendered: el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && rect.width > 0 && rect.height > 0,
      onScreen: rect.bottom > 0 && rect.right > 0 && rect.top < window.innerHeight && rect.left < window.innerWidth,
      indicator: outline || shadow,
      outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
      boxShadow: style.boxShadow,
    };
  });
}

/** The focused element of the app is visible and shows a focus indicator. */
function assertFocusVisible(focus, where) {
  const about = `${where}: focus on ${focus.element} (${focus.url}); outline ${focus.outline}; box-shadow ${focus.boxShadow}`;
  assert.ok(focus.rendered, `${about}: the focused element is not rendered (hidden or zero size)`);
  assert.ok(focus.onScreen, `${about}: the focused element is off screen`);
  assert.ok(focus.focusVisible, `${about}: the focused element does not match :focus-visible`);
  assert.ok(focus.indicator, `${about}: no visible focus indicator (outline none/0/transparent and no box-shadow)`);
}

/**
 * Presses Tab until the focused element matches `selector` (no key at all when it already has
 * focus). With `appOrigin`, every element the focus passes on the app's pages must be visible and
 * show a focus indicator. Returns the path the focus took.
 */
async function tabTo(page, selector, { appOrigin, where, max = 40 }) {
  const path = [];
  for (let presses = 0; ; presses += 1) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return path;
    if (presses === max) {
      throw new Error(`${where}: ${selector} did not get the focus after ${max} Tab presses; path: ${path.join(' -> ')}`);
    }
    await page.keyboard.press('Tab');
    const focus = await focusState(page);
    path.push(focus?.element ?? '(body)');
    if (focus && appOrigin && new URL(focus.url).origin === appOrigin) assertFocusVisible(focus, where);
  }
}

/** Resolves once the IdP's page shows `selector`, or the app shows one of `landed`. */
async function waitForIdpOrApp(page, selector, ...landed) {
  let next = page.locator(selector);
  for (const locator of landed) next = next.or(locator);
  await next.first().waitFor();
}

const LOGIN_INPUT = 'input[name="login"]';
const PASSWORD_INPUT = 'input[name="password"]';
const CONSENT_BUTTON = 'form:has(input[name="prompt"][value="consent"]) button[type="submit"]';
const LOGOUT_CONFIRM = 'button[name="logout"][value="yes"]';
const CANCEL_LINK = 'a[href$="/abort"]';

describe('accessibility', () => {
  let stack;
  before(async () => { stack = await startStack('a11y'); });
  after(async () => { await stack?.close(); });

  describe('axe: no WCAG 2.0/2.1 A/AA or best-practice violation', () => {
    test('/ signed out', async (t) => {
      await stack.withSession(t, async ({ page }) => {
        const app = new App(page, stack);
        await app.home.goto();
        await app.waitUntilSignInEnabled();
        await assertNoAxeViolations(t, page, '/ signed out');
      });
    });

    test('/oidc/callback while the sign-in completes', async (t) => {
      await stack.withSession(t, async ({ page }) => {
        const app = new App(page, stack);
        // Hold the token request so the progress card stays on screen while axe runs.
        let release;
        const released = new Promise((done) => { release = done; });
        let tokenRequested;
        const requested = new Promise((done) => { tokenRequested = done; });
        await page.route(stack.discovery.token_endpoint, async (route) => {
          tokenRequested();
          await released;
          await route.continue();
        });
        try {
          await app.home.goto();
          await app.home.clickSignIn(stack);
          await app.idpLogin.signIn('alice');
          await waitForIdpOrApp(page, CONSENT_BUTTON, page.getByTestId('callback-progress'));
          if (await app.consent.continueButton.isVisible()) await app.consent.continueButton.click();
          await requested;
          await page.getByTestId('callback-progress').waitFor();
          assert.equal(new URL(page.url()).pathname, '/oidc/callback');
          await assertNoAxeViolations(t, page, '/oidc/callback in progress');
        } finally {
          release();
        }
        await app.identity.waitUntilShown();
      });
    });

    test('/me and / signed in as alice', async (t) => {
      await stack.withSession(t, async ({ page }) => {
        const app = new App(page, stack);
        await app.signIn('alice');
        await page.waitForURL((url) => url.pathname === '/me');
        await assertNoAxeViolations(t, page, '/me signed in');
        await page.goto(`${stack.appOrigin}/`);
        await app.home.identitySummary.waitFor();
        await assertNoAxeViolations(t, page, '/ signed in');
      });
    });

    test('the error panel (a tampered state: state_mismatch)', async (t) => {
      await stack.withSession(t, async ({ context, page }) => {
        await rewriteCallbackRedirect(context, {
          issuer: stack.issuer,
          appOrigin: stack.appOrigin,
          rewrite: (url) => { url.searchParams.set('state', 'tampered-state-a11y-00000000000000000000'); return url; },
        });
        const app = new App(page, stack);
        await app.home.goto();
        await app.home.clickSignIn(stack);
        await app.idpLogin.signIn('alice');
        await app.passConsentIfAsked();
        await app.authError.waitUntilShown();
        assert.equal(await app.authError.code(), 'state_mismatch');
        await assertNoAxeViolations(t, page, 'error panel state_mismatch');
      });
    });

    test('/admin: setup token, a wrong token, the editor, a bad issuer and its save error', async (t) => {
      const server = await startServer({
        listen: ADMIN_LISTEN, issuer: null, bootstrapToken: SETUP_TOKEN, logName: 'a11y.admin.server',
      });
      try {
        await stack.withSession(t, async ({ page }) => {
          const admin = new App(page, { ...stack, appOrigin: server.origin }).admin;
          // Each state is its own subtest: one with violations does not hide the next.
          await admin.goto();
          await admin.setupTokenInput.waitFor();
          await t.test('the setup-token form', async (st) => {
            await assertNoAxeViolations(st, page, '/admin setup token form');
          });

          await admin.useSetupToken('not-the-setup-token-000');
          await admin.rejected.waitFor();
          await admin.setupTokenInput.waitFor();
          await t.test('a wrong setup token (admin-rejected)', async (st) => {
            await assertNoAxeViolations(st, page, '/admin wrong setup token');
          });

          await admin.useSetupToken(SETUP_TOKEN);
          await admin.waitForEditor();
          await t.test('the editor', async (st) => {
            await assertNoAxeViolations(st, page, '/admin editor');
          });

          await admin.field('client_id').fill('sso-web');
          await admin.field('issuer').fill('http://idp.example.com');
          const { response } = await admin.save();
          assert.equal(response.status(), 400, 'a non-https issuer is refused');
          await admin.saveError.waitFor();
          await admin.fieldError('issuer').waitFor();
          await t.test('a bad issuer after save (save-error and the field error)', async (st) => {
            await assertNoAxeViolations(st, page, '/admin bad issuer save error');
          });
        });
      } finally {
        await server.stop();
      }
    });

    test('/logout signed out', async (t) => {
      await stack.withSession(t, async ({ page }) => {
        const app = new App(page, stack);
        await app.logout.goto();
        await app.logout.signedOut.waitFor();
        await assertNoAxeViolations(t, page, '/logout signed out');
      });
    });

    test('the not-found page', async (t) => {
      await stack.withSession(t, async ({ page }) => {
        const app = new App(page, stack);
        await app.notFound.goto('/does-not-exist');
        await app.notFound.panel.waitFor();
        await assertNoAxeViolations(t, page, 'not-found');
      });
    });
  });

  describe('keyboard only', () => {
    test('sign in and out with Tab, Enter and Space; the focus is always visible', async (t) => {
      await stack.withSession(t, async ({ page }) => {
        const app = new App(page, stack);
        const { appOrigin } = stack;
        const idpOrigin = new URL(stack.issuer).origin;
        await app.home.goto();
        await app.waitUntilSignInEnabled();

        let path = await tabTo(page, '[data-testid="sign-in"]', { appOrigin, where: '/ signed out' });
        t.diagnostic(`/ : ${path.join(' -> ')}`);
        await page.keyboard.press('Enter');
        await page.waitForURL((url) => url.origin === idpOrigin);

        // The IdP's login form, typed with the keyboard.
        await page.locator(LOGIN_INPUT).waitFor();
        await tabTo(page, LOGIN_INPUT, { where: 'IdP login' });
        await page.keyboard.type('alice');
        await tabTo(page, PASSWORD_INPUT, { where: 'IdP login' });
        await page.keyboard.type('dev-password');
        await page.keyboard.press('Enter');

        await waitForIdpOrApp(page, CONSENT_BUTTON, app.identity.name, app.authError.panel);
        if (await page.locator(CONSENT_BUTTON).isVisible()) {
          await tabTo(page, CONSENT_BUTTON, { where: 'IdP consent' });
          await page.keyboard.press('Space');
        }
        await app.identity.name.or(app.authError.panel).first().waitFor();
        assert.equal(await app.authError.panel.count(), 0, 'signed in without an error');
        await page.waitForURL((url) => url.pathname === '/me');

        path = await tabTo(page, '[data-testid="sign-out"]', { appOrigin, where: '/me' });
        t.diagnostic(`/me : ${path.join(' -> ')}`);
        await page.keyboard.press('Enter');

        await waitForIdpOrApp(page, LOGOUT_CONFIRM, app.logout.signedOut);
        if (await page.locator(LOGOUT_CONFIRM).isVisible()) {
          await tabTo(page, LOGOUT_CONFIRM, { where: 'IdP logout' });
          await page.keyboard.press('Space');
        }
        await app.logout.signedOut.waitFor();
        assert.equal(await app.identity.name.count(), 0, 'signed out');

        path = await tabTo(page, '[data-testid="signed-out"] [data-testid="sign-in"]', { appOrigin, where: '/logout' });
        t.diagnostic(`/logout : ${path.join(' -> ')}`);
        assertFocusVisible(await focusState(page), '/logout "Sign in again"');
      });
    });

    test('a failed sign-in (cancelled at the IdP) moves the focus to the error panel', async (t) => {
      await stack.withSession(t, async ({ page }) => {
        const app = new App(page, stack);
        const { appOrigin } = stack;
        const idpOrigin = new URL(stack.issuer).origin;
        await app.home.goto();
        await app.waitUntilSignInEnabled();
        await tabTo(page, '[data-testid="sign-in"]', { appOrigin, where: '/ signed out' });
        await page.keyboard.press('Enter');
        await page.waitForURL((url) => url.origin === idpOrigin);

        await page.locator(CANCEL_LINK).waitFor();
        await tabTo(page, CANCEL_LINK, { where: 'IdP login' });
        await page.keyboard.press('Enter');

        await app.authError.waitUntilShown();
        assert.equal(await app.authError.code(), 'idp_error');
        // The panel moves the focus when it mounts; let one frame pass before reading it.
        await page.evaluate(() => new Promise((done) => { requestAnimationFrame(() => done()); }));
        const focus = await focusState(page);
        const inPanel = await page.evaluate(
          () => Boolean(document.activeElement?.closest('[data-testid="auth-error"]')),
        );
        t.diagnostic(`focus after the error appeared: ${focus ? `${focus.element}, outline ${focus.outline}, `
          + `box-shadow ${focus.boxShadow}, :focus-visible ${focus.focusVisible}` : '(body)'}`);
        if (inPanel) {
          // The panel (a tabindex=-1 container) need not draw a ring, but it must be on screen.
          assert.ok(focus.rendered && focus.onScreen, `the focused ${focus.element} is visible`);
        }

        // From there the keyboard reaches "Try again", which is visibly focused, and it works.
        await tabTo(page, '[data-testid="auth-error"] [data-testid="try-again"]', { appOrigin, where: 'error panel' });
        assertFocusVisible(await focusState(page), 'error panel "Try again"');
        await page.keyboard.press('Enter');
        await page.waitForURL((url) => url.origin === idpOrigin);
        await page.locator(LOGIN_INPUT).waitFor();

        // Checked last so the rest of the keyboard path above is still exercised when it fails.
        assert.ok(inPanel, 'the error panel takes the focus when it appears: document.activeElement is '
          + `${focus?.element ?? 'the body'}, not inside [data-testid=auth-error]`);
      });
    });
  });
});
