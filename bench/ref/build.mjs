//! Bundles the reference page (src/main.js + oidc-client-ts from bench/node_modules) with esbuild
//! into one hashed JS file, and writes index.html pointing at it.

import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const REF_DIR = dirname(fileURLToPath(import.meta.url));
export const REF_DIST = join(REF_DIR, 'dist');

/**
 * Builds into `outdir` (emptied first): `index.html` and `assets/app-<hash>.js`.
 * @param {{ authority: string, clientId: string, scope: string, outdir?: string }} config
 *   baked into the bundle
 * @returns {Promise<{ outdir: string, bundle: string, bytes: number, esbuildVersion: string }>}
 *   `bundle` is the script's path on the page (`/assets/app-<hash>.js`)
 */
export async function buildRef({ authority, clientId, scope, outdir = REF_DIST }) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: REF_DIR,
    entryPoints: [join(REF_DIR, 'src', 'main.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outdir: join(outdir, 'assets'),
    entryNames: 'app-[hash]',
    define: { __REF_CONFIG__: JSON.stringify({ authority, clientId, scope }) },
    metafile: true,
    logLevel: 'warning',
  });
  const [file, output] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint);
  const bundle = `/assets/${basename(file)}`;
  const html = readFileSync(join(REF_DIR, 'index.html'), 'utf8').replace('{{BUNDLE}}', bundle);
  writeFileSync(join(outdir, 'index.html'), html);
  return { outdir, bundle, bytes: output.bytes, esbuildVersion: esbuild.version };
}
