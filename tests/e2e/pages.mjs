//! Page objects for the e2e tests: the SPA's pages (by data-testid) and the dev IdP's pages.
//
// Every wait is for something a user would see (an element, or the address bar), never a delay.

/** Any dev password works (tests/idp/users.mjs); the form only requires a non-empty one. */
export const DEV_PASSWORD = 'dev-password';

const tid = (page, id) => page.getByTestId(id);

/**
 * Where the SPA keeps the signed-in session on a static host (sessionStorage, per tab). With
 * sso-server the session is the server's HttpOnly cookie, and nothing is stored here.
 */
export const SESSION_KEY = 'sso-web:session';

/** The server session's cookie (over http; `__Host-` prefixed behind an https SSO_PUBLIC_URL). */
export const SESSION_COOKIE = 'sso-web-session';

export class HomePage {
  constructor(page, { appOrigin }) {
    this.page = page;
    this.appOrigin = appOrigin;
    this.signInButton = tid(page, 'sign-in');
    /** Why the user is signed out ("Your session expired…"), on the sign-in card. */
    this.notice = tid(page, 'notice');
    /** Signed in, `/` shows a short summary ("Welcome, <name>") instead of the sign-in card. */
    this.identitySummary = tid(page, 'identity-summary');
  }

  async goto() {
    await this.page.goto(`${this.appOrigin}/`);
    await this.signInButton.waitFor();
  }

  /** Clicks "Sign in with SSO" and waits until the browser is at the IdP. */
  async clickSignIn({ issuer }) {
    const idpOrigin = new URL(issuer).origin;
    await this.signInButton.click();
    await this.page.waitForURL((url) => url.origin === idpOrigin);
  }
}

/** oidc-provider's dev login form (devInteractions), and ours for a failed login. */
export class IdpLoginPage {
  constructor(page) {
    this.page = page;
    this.form = page.locator('form:has(input[name="prompt"][value="login"])');
    this.loginInput = this.form.locator('input[name="login"]');
    this.passwordInput = this.form.locator('input[name="password"]');
    this.submitButton = this.form.locator('button[type="submit"]');
    // The dev views' "[ Cancel ]" link, to /interaction/:uid/abort.
    this.cancelLink = page.locator('a[href$="/abort"]');
  }

  async waitUntilShown() {
    await this.loginInput.waitFor();
  }

  async signIn(login, password = DEV_PASSWORD) {
    await this.waitUntilShown();
    await this.loginInput.fill(login);
    await this.passwordInput.fill(password);
    await this.submitButton.click();
  }

  async cancel() {
    await this.cancelLink.click();
  }
}

/** oidc-provider's dev consent page: one form with one submit button ("Continue"). */
export class IdpConsentPage {
  constructor(page) {
    this.page = page;
    this.continueButton = page.locator('form:has(input[name="prompt"][value="consent"]) button[type="submit"]');
  }
}

/**
 * The IdP's RP-initiated logout confirmation (tests/idp/provider.mjs `logoutSource`), shown when
 * the IdP still has a session: "Yes, sign me out" ends it; "No, stay signed in" keeps it. Without
 * an IdP session oidc-provider skips this page (it auto-posts the confirmation itself).
 */
export class IdpLogoutPage {
  constructor(page) {
    this.page = page;
    this.confirmButton = page.locator('button[name="logout"][value="yes"]');
    this.stayButton = page.locator('button[form="op.logoutForm"]:not([name="logout"])');
  }
}

export class IdentityPage {
  constructor(page, { appOrigin }) {
    this.page = page;
    this.appOrigin = appOrigin;
    this.name = tid(page, 'identity-name');
    this.username = tid(page, 'identity-username');
    this.email = tid(page, 'identity-email');
    this.subject = tid(page, 'identity-subject');
    this.issuer = tid(page, 'identity-issuer');
    this.groups = tid(page, 'identity-group');
    this.signOutControl = tid(page, 'sign-out');
    /** When the session ends (the server's SSO_SESSION_LENGTH; the ID token's exp on a static host). */
    this.sessionExpires = tid(page, 'session-expires');
    /** The identity card once the session is kept: the server's, or stored in the tab. */
    this.kept = page.locator('[data-session-state="kept"]');
    /** "Your session ends in …", from 2 minutes before the ID token's exp. */
    this.expiryWarning = tid(page, 'expiry-warning');
  }

  async goto() {
    await this.page.goto(`${this.appOrigin}/me`);
  }

  async waitUntilShown() {
    await this.name.waitFor();
  }

  async groupNames() {
    return (await this.groups.allTextContents()).map((s) => s.trim());
  }

  async text(locator) {
    return (await locator.textContent()).trim();
  }
}

export class AuthErrorPanel {
  constructor(page) {
    this.panel = tid(page, 'auth-error');
  }

  async waitUntilShown() {
    await this.panel.waitFor();
  }

  async code() {
    return this.panel.getAttribute('data-error-code');
  }

  async text() {
    return this.panel.textContent();
  }
}

export class NotFoundPage {
  constructor(page, { appOrigin }) {
    this.page = page;
    this.appOrigin = appOrigin;
    this.panel = tid(page, 'not-found');
  }

  /** Opens `path` and returns the document response. */
  goto(path) {
    return this.page.goto(`${this.appOrigin}${path}`);
  }
}

export class LogoutPage {
  constructor(page, { appOrigin } = {}) {
    this.page = page;
    this.appOrigin = appOrigin;
    this.signedOut = tid(page, 'signed-out');
    /** On the way to the IdP's end_session_endpoint. */
    this.signingOut = tid(page, 'signing-out');
    /** "Sign in again" on the signed-out card. */
    this.signInAgain = this.signedOut.getByTestId('sign-in');
  }

  /** Opens `/logout` with an optional query (e.g. `?state=…`) as a full page load. */
  goto(query = '') {
    return this.page.goto(`${this.appOrigin}/logout${query}`);
  }
}

/** `/admin`: the setup-token form, the not-admin panel, or the SSO settings editor. */
export class AdminPage {
  constructor(page, { appOrigin }) {
    this.page = page;
    this.appOrigin = appOrigin;
    // Signed out: the setup token form (and SSO sign-in, which returns to /admin).
    this.setupTokenInput = tid(page, 'setup-token-input');
    this.useSetupTokenButton = tid(page, 'use-setup-token');
    this.signInButton = tid(page, 'sign-in');
    this.rejected = tid(page, 'admin-rejected');
    // Signed in without admin rights, or the API failed.
    this.notAdmin = tid(page, 'not-admin');
    this.adminError = tid(page, 'admin-error');
    // The editor.
    this.presetSelect = tid(page, 'preset-select');
    this.presetProblem = tid(page, 'preset-problem');
    this.presetSteps = tid(page, 'preset-steps');
    this.issuerWarnings = tid(page, 'issuer-warning');
    this.secretState = tid(page, 'secret-state');
    this.secretReplace = tid(page, 'secret-replace');
    this.secretClear = tid(page, 'secret-clear');
    this.secretInput = tid(page, 'secret-input');
    this.saveButton = tid(page, 'save');
    this.saveOk = tid(page, 'save-ok');
    this.saveConflict = tid(page, 'save-conflict');
    this.reloadNewest = tid(page, 'reload-newest');
    this.reloaded = tid(page, 'reloaded');
    this.saveError = tid(page, 'save-error');
    this.callbackUrl = tid(page, 'callback-url');
    this.logoutUrl = tid(page, 'logout-url');
    this.checkButton = tid(page, 'check-config');
    this.checkResults = tid(page, 'check-results');
    this.checkItems = tid(page, 'check-item');
    this.audit = tid(page, 'audit');
    this.auditEntries = tid(page, 'audit-entry');
    this.auditEmpty = tid(page, 'audit-empty');
    // The Sessions section.
    this.sessions = tid(page, 'admin-sessions');
    this.sessionRows = tid(page, 'session-row');
    this.signOutOthers = tid(page, 'sign-out-others');
  }

  /** The session rows as `{ user, current }`. */
  async sessionList() {
    const rows = [];
    for (const row of await this.sessionRows.all()) {
      rows.push({
        user: await row.getAttribute('data-session-user'),
        current: (await row.textContent()).includes('(you)'),
      });
    }
    return rows;
  }

  /** The **Sign out** button of `user`'s session row (the first, if there are several). */
  signOutSession(user) {
    return this.page.locator(`[data-testid="session-row"][data-session-user="${user}"]`)
      .first().getByTestId('session-sign-out');
  }

  /** Opens /admin (a full page load) and returns the document response. */
  goto() {
    return this.page.goto(`${this.appOrigin}/admin`);
  }

  /** `field-<name>`: issuer, client_id, groups_claim, scopes (inputs), auth_method (select). */
  field(name) {
    return tid(this.page, `field-${name}`);
  }

  /** A preset's own input, e.g. `region` and `pool` for Cognito. */
  presetInput(key) {
    return tid(this.page, `preset-${key}`);
  }

  /** "set by OIDC_…" next to a field the environment sets. */
  envBadge(field) {
    return tid(this.page, `env-badge-${field}`);
  }

  /** After "Load the newest version": the newest saved value, next to a field where it differs. */
  savedHint(field) {
    return tid(this.page, `saved-${field}`);
  }

  /** The error shown next to a field (inside the same field block as its input). */
  fieldError(field) {
    return this.page.locator('.admin-form__field', { has: this.field(field) }).getByRole('alert');
  }

  async fieldValue(name) {
    return this.field(name).inputValue();
  }

  /** Types the setup token and submits it; waits for the editor to have loaded the settings. */
  async useSetupToken(token) {
    await this.setupTokenInput.fill(token);
    await this.useSetupTokenButton.click();
  }

  /** Resolves once the editor shows the loaded settings (Save is enabled). */
  async waitForEditor() {
    await this.saveButton.waitFor();
    await this.page.waitForFunction(
      () => document.querySelector('[data-testid="save"]')?.disabled === false,
    );
  }

  /** The document from `/admin`, then the setup token, then the editor. */
  async openWithSetupToken(token) {
    const response = await this.goto();
    await this.setupTokenInput.waitFor();
    await this.useSetupToken(token);
    await this.waitForEditor();
    return response;
  }

  async choosePreset(id) {
    await this.presetSelect.selectOption(id);
  }

  /**
   * Clicks Save and waits for the server's answer to the PUT and then for the banner the user
   * sees. Returns `{ response, body }` of the PUT.
   */
  async save() {
    const put = this.page.waitForResponse(
      (res) => new URL(res.url()).pathname === '/api/v1/admin/sso' && res.request().method() === 'PUT',
    );
    await this.saveButton.click();
    const response = await put;
    const body = await response.json();
    await this.saveOk.or(this.saveConflict).or(this.saveError).first().waitFor();
    await this.page.waitForFunction(
      () => document.querySelector('[data-testid="save"]')?.disabled === false,
    );
    return { response, body };
  }

  /** Runs "Check configuration"; returns the items as `{ id, status, text }`. */
  async checkConfiguration() {
    await this.checkButton.click();
    await this.checkResults.waitFor();
    await this.page.waitForFunction(
      () => document.querySelector('[data-testid="check-config"]')?.disabled === false,
    );
    const items = [];
    for (const item of await this.checkItems.all()) {
      items.push({
        id: await item.getAttribute('data-check-id'),
        status: await item.getAttribute('data-status'),
        text: (await item.textContent()).trim(),
      });
    }
    return items;
  }

  /**
   * The audit table's rows as `{ at, actor, event, what, fields: string[], version }`; `fields`
   * are the settings a `settings_changed` entry names.
   */
  async auditRows() {
    const rows = [];
    for (const row of await this.auditEntries.all()) {
      const cells = (await row.locator('td').allTextContents()).map((s) => s.trim());
      const event = await row.getAttribute('data-event');
      const changed = event === 'settings_changed' ? cells[2].replace(/^Changed /, '') : '';
      rows.push({
        at: cells[0],
        actor: cells[1],
        event,
        what: cells[2],
        fields: changed ? changed.split(/,\s*/) : [],
        version: cells[3],
      });
    }
    return rows;
  }

  /** The rows of settings changes only. */
  async settingsRows() {
    return (await this.auditRows()).filter((row) => row.event === 'settings_changed');
  }
}

/** All page objects for one browser page, plus the user journeys built from them. */
export class App {
  constructor(page, stack) {
    this.page = page;
    this.stack = stack;
    this.home = new HomePage(page, stack);
    this.idpLogin = new IdpLoginPage(page);
    this.consent = new IdpConsentPage(page);
    this.idpLogout = new IdpLogoutPage(page);
    this.identity = new IdentityPage(page, stack);
    this.authError = new AuthErrorPanel(page);
    this.logout = new LogoutPage(page, stack);
    this.notFound = new NotFoundPage(page, stack);
    this.admin = new AdminPage(page, stack);
    /** The nav bar's Admin link (shown once the server accepts the signed-in user as an admin). */
    this.navAdmin = tid(page, 'nav-admin');
  }

  /**
   * `GET /api/v1/session` from the page, with its cookies: `{ status, body }`. Passive: it does
   * not count as a use of the session.
   */
  async serverSession() {
    return this.page.evaluate(async () => {
      const res = await fetch('/api/v1/session', { cache: 'no-store' });
      return { status: res.status, body: await res.json() };
    });
  }

  /** The session cookie's value in this browser context, or null. */
  async sessionCookie() {
    const cookies = await this.page.context().cookies(this.stack.appOrigin);
    return cookies.find((c) => c.name === SESSION_COOKIE)?.value ?? null;
  }

  /** Everything in sessionStorage and localStorage, as one string to search for tokens. */
  async webStorage() {
    return this.page.evaluate(() => JSON.stringify([
      Object.entries(window.sessionStorage), Object.entries(window.localStorage)]));
  }

  /** The stored session of a static host (parsed), or null when sessionStorage has none. */
  async storedSession() {
    const text = await this.page.evaluate((key) => window.sessionStorage.getItem(key), SESSION_KEY);
    return text === null ? null : JSON.parse(text);
  }

  /** Rewrites `expires_at` (unix seconds) of the stored session; storage only, not the app's memory. */
  async setStoredSessionExpiry(expiresAt) {
    await this.page.evaluate(([key, exp]) => {
      const session = JSON.parse(window.sessionStorage.getItem(key));
      session.expires_at = exp;
      window.sessionStorage.setItem(key, JSON.stringify(session));
    }, [SESSION_KEY, expiresAt]);
  }

  /** Resolves once the sign-in button is enabled (not "Redirecting…"). */
  async waitUntilSignInEnabled() {
    await this.page.waitForFunction(
      () => document.querySelector('[data-testid="sign-in"]')?.disabled === false,
    );
  }

  url() {
    return new URL(this.page.url());
  }

  /**
   * After the login form: the IdP either asks for consent or sends the browser straight back.
   * Waits for whichever the user sees first; clicks "Continue" on a consent page.
   * @param {...import('playwright-core').Locator} landed more elements that mean "back at the app"
   *   (the identity page and the error panel always count)
   */
  async passConsentIfAsked(...landed) {
    let next = this.consent.continueButton
      .or(this.identity.name)
      .or(this.authError.panel);
    for (const locator of landed) next = next.or(locator);
    await next.first().waitFor();
    if (await this.consent.continueButton.isVisible()) {
      await this.consent.continueButton.click();
    }
  }

  /** From a signed-out home page to the identity page, as `login`. */
  async signIn(login) {
    await this.home.goto();
    await this.signInFromHome(login);
  }

  /** Like signIn, on any page that already shows the sign-in button (/, or /me signed out). */
  async signInFromHome(login) {
    await this.home.clickSignIn(this.stack);
    await this.idpLogin.signIn(login);
    await this.passConsentIfAsked();
    // The identity shows at once; with sso-server the session is kept a moment later.
    await this.identity.kept.or(this.authError.panel).first().waitFor();
    if (await this.authError.panel.isVisible()) {
      throw new Error(`sign-in as ${login} ended in auth-error `
        + `${await this.authError.code()}: ${await this.authError.text()}`);
    }
  }

  /**
   * Resolves once the app shows something settled: the identity (on /me or the summary on /),
   * the sign-in button, the signed-out card, an error panel or the not-found page.
   */
  async waitUntilSettled() {
    await this.identity.name
      .or(this.home.identitySummary)
      .or(this.home.signInButton)
      .or(this.logout.signedOut)
      .or(this.authError.panel)
      .or(this.notFound.panel)
      .first()
      .waitFor();
  }

  /** Signs out; confirms at the IdP if the SPA uses RP-initiated logout. Waits for "signed out". */
  async signOut() {
    await this.identity.signOutControl.click();
    await this.logout.signedOut.or(this.idpLogout.confirmButton).first().waitFor();
    if (await this.idpLogout.confirmButton.isVisible()) {
      await this.idpLogout.confirmButton.click();
    }
    await this.logout.signedOut.waitFor();
  }
}
