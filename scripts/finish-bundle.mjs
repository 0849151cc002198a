//! Finishes one Trunk output directory: minifies wasm-bindgen's JS glue, names the glue and
//! the wasm after their final content, and rewrites index.html to match.
//
//   node scripts/finish-bundle.mjs dist        (scripts/build.sh runs it on both bundles)
//
// - Minifying: Trunk's own --minify fails on this glue (and drops </head> from the page), so
//   esbuild (tools/package.json) does it: about 45 KB down to 20 KB, 1.9 KB less after gzip.
// - Naming: Trunk names both files after the Rust build, before wasm-opt and this
//   minification. sso-server caches hashed names for a year (immutable), so a change to
//   wasm-opt's or esbuild's version or options would otherwise put new bytes under an old
//   name, and a returning browser's cached glue would then fail the page's SRI check. Here
//   each name carries the first 16 hex digits of the SHA-256 of what is served.
// - The page: the glue's modulepreload carries an SRI hash (the browser checks it), and the
//   boot script imports the glue and passes the wasm's path. Every reference is rewritten,
//   and the run fails unless each old name was found and none is left.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const esbuild = createRequire(join(root, 'tools', 'package.json'))('esbuild');

function fail(message) {
  console.error(`finish-bundle: ${message}`);
  process.exit(1);
}

const contentHash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

/** The one file in `dir` whose name ends with `suffix`. */
function only(dir, suffix) {
  const found = readdirSync(dir).filter((name) => name.endsWith(suffix));
  if (found.length !== 1) fail(`expected one *${suffix} in ${dir}, found ${found.length}: ${found.join(', ')}`);
  return found[0];
}

/** `sso-web-0123abcd_bg.wasm` -> `sso-web-<hash>_bg.wasm`, for Trunk's `<name>-<hash><suffix>`. */
function renamed(name, suffix, hash) {
  const stem = name.slice(0, -suffix.length);
  const dash = stem.lastIndexOf('-');
  if (dash <= 0) fail(`${name} is not Trunk's <name>-<hash>${suffix}`);
  return `${stem.slice(0, dash)}-${hash}${suffix}`;
}

/** Replaces every occurrence of `from` in `text`; fails when there is none. */
function replaceAll(text, from, to, where) {
  const count = text.split(from).length - 1;
  if (count === 0) fail(`${where} does not mention ${from}`);
  return text.split(from).join(to);
}

const dir = process.argv[2];
if (!dir) fail('usage: node scripts/finish-bundle.mjs <trunk dist directory>');
const pagePath = join(dir, 'index.html');
let page = readFileSync(pagePath, 'utf8');

// The wasm: only its name changes.
const wasmName = only(dir, '_bg.wasm');
const wasm = readFileSync(join(dir, wasmName));
const newWasmName = renamed(wasmName, '_bg.wasm', contentHash(wasm));
renameSync(join(dir, wasmName), join(dir, newWasmName));
page = replaceAll(page, wasmName, newWasmName, pagePath);

// The glue: minified (any mention of the wasm's name follows the rename first), renamed,
// and its SRI hash replaced.
const glueName = only(dir, '.js');
const before = readFileSync(join(dir, glueName), 'utf8').split(wasmName).join(newWasmName);
const { code } = esbuild.transformSync(before, { minify: true, format: 'esm' });
const newGlueName = renamed(glueName, '.js', contentHash(code));
writeFileSync(join(dir, newGlueName), code);
if (newGlueName !== glueName) unlinkSync(join(dir, glueName));
page = replaceAll(page, glueName, newGlueName, pagePath);
const integrity = new RegExp(`(<link[^>]*href="[^"]*/${newGlueName.replace(/\./g, '\\.')}"[^>]*integrity=")sha384-[^"]+(")`, 'g');
const tags = page.match(integrity) ?? [];
if (tags.length !== 1) fail(`${pagePath}: expected one integrity attribute for ${newGlueName}, found ${tags.length}`);
page = page.replace(integrity, `$1${sri(code)}$2`);

for (const old of [wasmName, glueName]) {
  if (old !== newWasmName && old !== newGlueName && page.includes(old)) fail(`${pagePath} still mentions ${old}`);
}
writeFileSync(pagePath, page);
console.log(`finish-bundle: ${dir}: ${newGlueName} (${before.length} -> ${code.length} bytes), ${newWasmName}`);
