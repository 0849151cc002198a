//! The reference page: the same sign-in as sso-web (Authorization Code + PKCE S256 against the
//! dev IdP), done by oidc-client-ts' UserManager. Bundled by ../build.mjs with esbuild.
//
// Routes (one document, served for each by ../serve.mjs):
//   /               "Sign in with SSO" -> userManager.signinRedirect()
//   /oidc/callback  signinRedirectCallback(), then the identity in the DOM, then
//                   performance.mark('sso:identity'); the address becomes /me like in the app.
//
// oidc-client-ts checks the ID token's claims (iss, aud, nonce, exp …) but not its signature:
// it never fetches the IdP's JWKS. sso-web does both.

import { UserManager, WebStorageStateStore } from 'oidc-client-ts';

// Same name as the app's mark: JS evaluated (the app's is wasm main() started).
performance.mark('sso:boot');

/** `{ authority, clientId, scope }`, baked in at build time (esbuild `define`). */
// eslint-disable-next-line no-undef
const CONFIG = __REF_CONFIG__;

const userManager = new UserManager({
  authority: CONFIG.authority,
  client_id: CONFIG.clientId,
  redirect_uri: `${window.location.origin}/oidc/callback`,
  response_type: 'code', // PKCE (S256) is on by default
  scope: CONFIG.scope,
  // sessionStorage for both, like the app (oidc-client-ts keeps the sign-in state in
  // localStorage unless told otherwise; the user is in sessionStorage by default).
  stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
  userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  automaticSilentRenew: false,
});

const root = document.getElementById('app');

/** A small element builder: `el('p', { 'data-testid': 'x' }, 'text', child…)`. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function renderError(err) {
  root.replaceChildren(el('section', { 'data-testid': 'auth-error', role: 'alert' },
    el('h1', {}, 'Sign-in failed'),
    el('p', {}, String(err?.message ?? err))));
}

function renderHome() {
  const button = el('button', { type: 'button', 'data-testid': 'sign-in' }, 'Sign in with SSO');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await userManager.signinRedirect();
    } catch (err) {
      renderError(err);
    }
  });
  root.replaceChildren(el('h1', {}, 'oidc-client-ts reference'), button);
}

function renderIdentity(profile) {
  const row = (label, testid, value) => [el('dt', {}, label), el('dd', { 'data-testid': testid }, String(value ?? ''))];
  const groups = Array.isArray(profile.groups) ? profile.groups : [];
  root.replaceChildren(el('section', { 'aria-labelledby': 'identity-heading' },
    el('h1', { id: 'identity-heading', 'data-testid': 'identity-name' }, profile.name ?? profile.sub),
    el('dl', {},
      ...row('Username', 'identity-username', profile.preferred_username),
      ...row('Email', 'identity-email', profile.email),
      ...row('Subject', 'identity-subject', profile.sub),
      ...row('Issuer', 'identity-issuer', profile.iss)),
    el('h2', {}, 'Groups'),
    el('ul', {}, ...groups.map((g) => el('li', { 'data-testid': 'identity-group' }, g)))));
}

async function completeSignIn() {
  root.replaceChildren(el('p', { 'data-testid': 'signing-in' }, 'Signing in…'));
  try {
    const user = await userManager.signinRedirectCallback();
    window.history.replaceState(null, '', '/me');
    renderIdentity(user.profile);
    performance.mark('sso:identity');
  } catch (err) {
    renderError(err);
  }
}

if (window.location.pathname === '/oidc/callback') {
  completeSignIn();
} else {
  renderHome();
}
