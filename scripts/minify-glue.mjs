//! Minifies wasm-bindgen's JS glue in one Trunk output directory, and rewrites the glue's
//! subresource-integrity hash in that directory's index.html to match.
//
//   node scripts/minify-glue.mjs dist        (scripts/build.sh runs it on both bundles)
//
// Trunk's own --minify fails on this glue (and drops </head> from the page), so esbuild
// (tools/package.json) does it: about 45 KB down to 20 KB, 1.9 KB less after gzip. The
// file keeps its name: Trunk hashes the name from the Rust build, and the minified glue
// is a pure function of that build and the pinned esbuild. The page's modulepreload
// carries the SRI hash, which the browser checks, so a stale one would stop the app.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const esbuild = createRequire(join(root, 'tools', 'package.json'))('esbuild');

function fail(message) {
  console.error(`minify-glue: ${message}`);
  process.exit(1);
}

const dir = process.argv[2];
if (!dir) fail('usage: node scripts/minify-glue.mjs <trunk dist directory>');
const pagePath = join(dir, 'index.html');
let page = readFileSync(pagePath, 'utf8');

const glue = readdirSync(dir).filter((name) => name.endsWith('.js'));
if (glue.length !== 1) fail(`expected one .js file in ${dir}, found ${glue.length}: ${glue.join(', ')}`);

for (const name of glue) {
  const path = join(dir, name);
  const before = readFileSync(path, 'utf8');
  const { code } = esbuild.transformSync(before, { minify: true, format: 'esm' });
  writeFileSync(path, code);
  const integrity = `sha384-${createHash('sha384').update(code).digest('base64')}`;
  // The one tag that names this file with an integrity attribute: Trunk's modulepreload.
  const tag = new RegExp(`(<link[^>]*href="[^"]*/${name.replace(/\./g, '\\.')}"[^>]*integrity=")sha384-[^"]+(")`, 'g');
  const matches = page.match(tag) ?? [];
  if (matches.length !== 1) fail(`${pagePath}: expected one integrity attribute for ${name}, found ${matches.length}`);
  page = page.replace(tag, `$1${integrity}$2`);
  console.log(`minify-glue: ${basename(dir)}/${name}: ${before.length} -> ${code.length} bytes`);
}
writeFileSync(pagePath, page);
