//! Page objects for the e2e tests: the SPA's pages (by data-testid) and the dev IdP's pages.
//
// Every wait is for something a user would see (an element, or the address bar), never a delay.

/** Any dev password works (tests/idp/users.mjs); the form only requires a non-empty one. */
export const DEV_PASSWORD = 'dev-password';

const tid = (page, id) => page.getByTestId(id);

/** Where the SPA keeps the signed-in session (sessionStorage, per tab). */
export const SESSION_KEY = 'sso-web:session';

export class HomePage {
  constructor(page, { appOrigin }) {
    this.page = page;
    this.appOrigin = appOrigin;
    this.signInButton = tid(page, 'sign-in');
    /** Why the user is signed out ("Your session expired…"), on the sign-in card. */
    this.notice = tid(page, 'notice');
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

/** The IdP's RP-initiated logout confirmation ("Yes, sign me out"), if the SPA goes through it. */
export class IdpLogoutPage {
  constructor(page) {
    this.page = page;
    this.confirmButton = page.locator('button[name="logout"][value="yes"]');
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
  constructor(page) {
    this.signedOut = tid(page, 'signed-out');
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
    this.logout = new LogoutPage(page);
    this.notFound = new NotFoundPage(page, stack);
  }

  /** The stored session (parsed), or null when sessionStorage has none. */
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
   */
  async passConsentIfAsked() {
    const next = this.consent.continueButton
      .or(this.identity.name)
      .or(this.authError.panel);
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
    await this.identity.name.or(this.authError.panel).first().waitFor();
    if (await this.authError.panel.isVisible()) {
      throw new Error(`sign-in as ${login} ended in auth-error `
        + `${await this.authError.code()}: ${await this.authError.text()}`);
    }
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
