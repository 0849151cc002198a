//! What the benchmark tools run in the callback page: the init script every browser context gets
//! (serialized by Playwright into the page: no closures over this module), and the Node side that
//! receives its report.

const SETTLED = 'bench:settled';

/**
 * The sample `observeIdentityInDom` reports once the callback page settles (a promise; it never
 * rejects unhandled). Call before the navigation to the callback.
 */
export function settledSample(page, timeout) {
  const sample = page.waitForEvent('console', { predicate: (msg) => msg.text().startsWith(SETTLED), timeout })
    .then((msg) => JSON.parse(msg.text().slice(SETTLED.length + 1)));
  sample.catch(() => {});
  return sample;
}

/**
 * Init script of every benchmark context: on the callback document, places the mark
 * `bench:identity-dom` as soon as `[data-testid="identity-name"]` has text. The same observer
 * runs for both pages; it is the fallback metric when the app build places no marks of its own.
 *
 * Once the identity (or an error panel) shows, and on a page that marks `sso:boot` (instrumented)
 * its own `sso:identity` mark is placed too, it logs `bench:settled <sample>`: everything the
 * callback document measured, as JSON. The sample is taken in the page because the main app
 * takes the app's callback page over right after the identity shows, and because waiting
 * from outside (page.waitForFunction) would inject Playwright's script into the page (about 25 ms
 * of main thread on this machine, inside the measured interval).
 */
export function observeIdentityInDom() {
  if (window.top !== window || window.location.pathname !== '/oidc/callback') return;
  const has = (name) => performance.getEntriesByName(name, 'mark').length > 0;
  const text = (el) => el?.textContent.trim() ?? null;
  const sample = () => {
    const marks = {};
    for (const mark of performance.getEntriesByType('mark')) marks[mark.name] ??= mark.startTime;
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      path: window.location.pathname,
      timeOrigin: performance.timeOrigin,
      marks,
      navigation: nav && {
        redirectCount: nav.redirectCount,
        fetchStart: nav.fetchStart,
        requestStart: nav.requestStart,
        responseStart: nav.responseStart,
        responseEnd: nav.responseEnd,
        domContentLoadedEventEnd: nav.domContentLoadedEventEnd,
        loadEventEnd: nav.loadEventEnd,
      },
      // Every request the callback document made, for the check that both pages do the same work.
      requests: performance.getEntriesByType('resource').map((r) => r.name),
      resources: performance.getEntriesByType('resource')
        .filter((r) => /\.(wasm|js)$|\/token$|openid-configuration$|jwks/.test(new URL(r.name).pathname))
        .map((r) => ({
          path: new URL(r.name).pathname,
          startTime: r.startTime,
          responseEnd: r.responseEnd,
          transferSize: r.transferSize,
          encodedBodySize: r.encodedBodySize,
          decodedBodySize: r.decodedBodySize,
        })),
      identity: {
        name: text(document.querySelector('[data-testid="identity-name"]')),
        subject: text(document.querySelector('[data-testid="identity-subject"]')),
        groups: [...document.querySelectorAll('[data-testid="identity-group"]')].map(text),
      },
      error: text(document.querySelector('[data-testid="auth-error"]')),
    };
  };
  // The page's own mark follows the DOM change within a task or two (the app's in the same
  // task); a page without marks settles at once.
  const report = (tries) => {
    if (has('sso:boot') && !has('sso:identity') && !document.querySelector('[data-testid="auth-error"]') && tries < 500) {
      setTimeout(() => report(tries + 1), 10);
      return;
    }
    // SETTLED, spelled out: this function runs in the page, without this module.
    console.debug('bench:settled', JSON.stringify(sample()));
  };
  const observer = new MutationObserver(() => {
    const shown = text(document.querySelector('[data-testid="identity-name"]'));
    if (shown) performance.mark('bench:identity-dom');
    if (shown || document.querySelector('[data-testid="auth-error"]')) {
      observer.disconnect();
      report(0);
    }
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
}
