//! Lists the callback bundle's files (dist/callback/) in the pages that have a sign-in button,
//! as `<meta name="sso-callback-assets" content="/callback/… /callback/…">`. The sign-in
//! button fetches them into the HTTP cache (src/auth/flow.rs, `warm_callback_bundle`), so the
//! callback from the IdP finds its code there. A meta element rather than
//! `<link rel="prefetch">`: CSP governs prefetch with default-src, which is 'none' here.
//
//   node scripts/link-callback.mjs dist        (scripts/build.sh runs it after all bundles)

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function fail(message) {
  console.error(`link-callback: ${message}`);
  process.exit(1);
}

const dist = process.argv[2];
if (!dist) fail('usage: node scripts/link-callback.mjs <dist directory>');
const callbackDir = join(dist, 'callback');
const assets = readdirSync(callbackDir)
  .filter((name) => /\.(js|wasm|css)$/.test(name))
  .sort()
  .map((name) => `/callback/${name}`);
if (assets.filter((a) => a.endsWith('.wasm')).length !== 1) fail(`expected one wasm in ${callbackDir}: ${assets.join(' ')}`);
const meta = `<meta name="sso-callback-assets" content="${assets.join(' ')}">`;
for (const page of [join(dist, 'index.html'), join(dist, 'admin', 'index.html')]) {
  const html = readFileSync(page, 'utf8');
  const heads = html.split(/<\/head>/i).length - 1;
  if (heads !== 1) fail(`${page}: expected one </head>, found ${heads}`);
  writeFileSync(page, html.replace(/<\/head>/i, `${meta}</head>`));
}
console.log(`link-callback: ${assets.join(' ')}`);
