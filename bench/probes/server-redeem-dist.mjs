//! PROBE, not the product: writes a copy of dist/ for bench/probes/server-redeem.mjs.
//
//   node bench/probes/server-redeem-dist.mjs <out-dir> [fetch|stream]
//
// Two changes, both inline scripts (sso-server hashes every inline script into its CSP at
// start, so they run): the first-visit page copies the sign-in's early-token record
// (sessionStorage `sso-web:early:<state>`) into the probe's cookie as it leaves for the IdP,
// and the callback page's early-token script, instead of posting the token request itself,
// asks the probe for its answer (`fetch`, the default) or waits for the probe's JSON block at the
// end of the body (`stream`). The mode must match the probe's SSO_PROBE_MODE.

import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [out, mode = 'fetch'] = process.argv.slice(2);
if (!out || !['fetch', 'stream'].includes(mode)) {
  console.error('usage: node server-redeem-dist.mjs <out-dir> [fetch|stream]');
  process.exit(2);
}
const dist = resolve(import.meta.dirname, '..', '..', 'dist');
rmSync(out, { recursive: true, force: true });
cpSync(dist, out, { recursive: true });

function patch(file, anchor, replacement) {
  const path = join(out, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(anchor)) throw new Error(`${path}: ${JSON.stringify(anchor)} not found; the probe needs updating`);
  writeFileSync(path, text.replace(anchor, replacement));
}

patch('index.html', '<head>', `<head><script>
addEventListener("pagehide", function () {
  for (var i = 0; i < sessionStorage.length; i++) {
    var key = sessionStorage.key(i);
    if (key.indexOf("sso-web:early:") !== 0) continue;
    var record = JSON.parse(sessionStorage.getItem(key));
    document.cookie = "sso-probe-early=" + encodeURIComponent(JSON.stringify({
      state: key.slice(14), token_endpoint: record.token_endpoint, body: record.body
    })) + "; Path=/oidc/callback; SameSite=Lax; Max-Age=600";
  }
});
</script>`);
const early = 'window.__ssoEarlyToken = { state: state, response: fetch(';
// The original request stays behind `if (false)`, so the anchor's remainder still parses.
const dead = 'if (false) window.__ssoEarlyTokenUnused = { response: fetch(';
patch('callback/index.html', early, mode === 'fetch'
  ? `window.__ssoEarlyToken = { state: state, response: fetch("/__probe/token?state=" + encodeURIComponent(state), { cache: "no-store" })
            .then(function (r) { return r.json(); }).then(function (a) { performance.mark("probe:token-in-page"); return a; }) };
          ${dead}`
  : `window.__ssoEarlyToken = { state: state, response: new Promise(function (done) {
            document.addEventListener("DOMContentLoaded", function () {
              var block = document.getElementById("sso-probe-token");
              if (!block) return done({ status: 599, body: "the probe's token block is missing" });
              performance.mark("probe:token-in-page");
              done(JSON.parse(block.textContent));
              block.remove();
            });
          }) };
          ${dead}`);
console.log(out);
