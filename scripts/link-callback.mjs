//! Prefetches the callback bundle (dist/callback/) from the pages that have a sign-in button:
//! `<link rel="prefetch">` for its wasm, glue and stylesheet, so the callback from the IdP
//! finds its code in the HTTP cache. A prefetch survives the navigation to the IdP, and it runs
//! at idle priority, after the page's own files.
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
const files = readdirSync(callbackDir).filter((name) => /\.(js|wasm|css)$/.test(name)).sort();
if (files.filter((f) => f.endsWith('.wasm')).length !== 1) fail(`expected one wasm in ${callbackDir}: ${files.join(' ')}`);
// The same request mode as the callback page's own preload and modulepreload, so the cached
// responses are the ones it asks for.
const links = files.map((name) => {
  const as = name.endsWith('.wasm') ? 'fetch' : name.endsWith('.js') ? 'script' : 'style';
  return `<link rel="prefetch" href="/callback/${name}" as="${as}" crossorigin="anonymous">`;
}).join('');
for (const page of [join(dist, 'index.html'), join(dist, 'admin', 'index.html')]) {
  const html = readFileSync(page, 'utf8');
  const heads = html.split(/<\/head>/i).length - 1;
  if (heads !== 1) fail(`${page}: expected one </head>, found ${heads}`);
  writeFileSync(page, html.replace(/<\/head>/i, `${links}</head>`));
}
// The callback page starts the main app in place once the sign-in is kept (callback.html's
// "sso:live" script): the main bundle's glue and wasm, by their final names.
const mainFiles = readdirSync(dist).filter((name) => /^sso-web-[0-9a-f]+(_bg\.wasm|\.js)$/.test(name));
const mainJs = mainFiles.filter((name) => name.endsWith('.js'));
const mainWasm = mainFiles.filter((name) => name.endsWith('.wasm'));
if (mainJs.length !== 1 || mainWasm.length !== 1) fail(`expected one main glue and wasm in ${dist}: ${mainFiles.join(' ')}`);
const callbackPage = join(callbackDir, 'index.html');
const callbackHtml = readFileSync(callbackPage, 'utf8');
for (const placeholder of ['__SSO_MAIN_JS__', '__SSO_MAIN_WASM__']) {
  if (callbackHtml.split(placeholder).length !== 2) fail(`${callbackPage}: expected ${placeholder} once`);
}
writeFileSync(callbackPage, callbackHtml.replace('__SSO_MAIN_JS__', mainJs[0]).replace('__SSO_MAIN_WASM__', mainWasm[0]));
console.log(`link-callback: the callback page starts /${mainJs[0]} (/${mainWasm[0]}) in place`);
console.log(`link-callback: prefetch ${files.map((f) => `/callback/${f}`).join(' ')}`);
