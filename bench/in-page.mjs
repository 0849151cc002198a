//! Init scripts the benchmark tools add to every browser context (serialized by Playwright into
//! the page: no closures over this module).

/**
 * Init script of every benchmark context: on the callback document, places the mark
 * `bench:identity-dom` as soon as `[data-testid="identity-name"]` has text. The same observer
 * runs for both pages; it is the fallback metric when the app build places no marks of its own.
 */
export function observeIdentityInDom() {
  if (window.top !== window || window.location.pathname !== '/oidc/callback') return;
  const observer = new MutationObserver(() => {
    const shown = document.querySelector('[data-testid="identity-name"]')?.textContent.trim();
    if (shown) performance.mark('bench:identity-dom');
    if (shown || document.querySelector('[data-testid="auth-error"]')) {
      observer.disconnect();
      // Tells the benchmark (and bench/trace.mjs) without it evaluating anything in the page
      // while the sign-in runs: page.waitForFunction would inject Playwright's script into the
      // page (about 25 ms of main thread on this machine, inside the measured interval).
      console.debug('bench:settled');
    }
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
}
