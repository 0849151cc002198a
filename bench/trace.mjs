//! Where the app's callback spends its time: signs in as alice (the same stack as
//! bench/latency.mjs: dev IdP, sso-server, Chromium), records a Chromium trace of each
//! callback, and prints the renderer's main thread from the callback request to the
//! `sso:identity` mark: every task and call of at least TRACE_MIN_MS, the app's marks, the
//! requests, and the totals by event name (wasm.CompileLazy is V8 compiling a wasm function
//! on its first call).
//
//   node bench/trace.mjs                 (needs what latency.mjs needs; see bench/README.md)
//
// A trace costs the page some speed of its own: read the order and the shares, and take the
// timings from latency.mjs. The trace files stay in tests/e2e/artifacts/trace-<n>.json
// (chrome://tracing or https://ui.perfetto.dev open them).

import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { observeIdentityInDom, settledSample } from './in-page.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const settings = {
  runs: Number(process.env.TRACE_RUNS ?? 3),
  minMs: Number(process.env.TRACE_MIN_MS ?? 2),
  idpPort: Number(process.env.TRACE_IDP_PORT ?? 9430),
  appPort: Number(process.env.TRACE_APP_PORT ?? 8390),
  dist: process.env.BENCH_DIST ?? 'dist',
};
for (const [name, value] of Object.entries(settings)) {
  if (name !== 'dist' && !(Number.isFinite(value) && value > 0)) {
    throw new Error(`trace: ${name} must be a positive number, got ${value}`);
  }
}
const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.wasm',
  'v8.execute', 'blink.user_timing', 'loading', 'toplevel'];

/** The callback's main thread, from a trace file, as printable rows and totals. */
function mainThread(file, minMs) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  const events = parsed.traceEvents ?? parsed;
  const identity = events.find((e) => e.name === 'sso:identity');
  if (!identity) throw new Error(`${file}: no sso:identity mark (did the sign-in finish?)`);
  const request = events.find((e) => e.name === 'ResourceSendRequest'
    && /\/oidc\/callback/.test(e.args?.data?.url ?? ''));
  if (!request) throw new Error(`${file}: no request for /oidc/callback`);
  const start = request.ts;
  const rel = (ts) => ((ts - start) / 1000).toFixed(1).padStart(7);
  const urls = new Map();
  const rows = [];
  const open = [];
  const totals = new Map();
  const add = (name, ts, dur, detail = '') => {
    totals.set(name, (totals.get(name) ?? 0) + dur);
    if (dur >= minMs * 1000) rows.push({ ts, line: `${rel(ts)} ${(dur / 1000).toFixed(1).padStart(6)}  ${name}${detail}` });
  };
  for (const e of events.filter((x) => x.ts >= start && x.ts <= identity.ts).sort((a, b) => a.ts - b.ts)) {
    const data = e.args?.data ?? {};
    if (data.url && data.requestId) urls.set(data.requestId, new URL(data.url).pathname);
    if (/^Resource(SendRequest|Finish)$/.test(e.name)) {
      rows.push({ ts: e.ts, line: `${rel(e.ts)}         ${e.name === 'ResourceFinish' ? 'received' : 'request'} ${urls.get(data.requestId) ?? ''}` });
    }
    if (e.pid !== identity.pid || e.tid !== identity.tid) continue;
    if (/^(sso|bench):/.test(e.name)) rows.push({ ts: e.ts, line: `${rel(e.ts)}         mark ${e.name}` });
    else if (e.ph === 'X') add(e.name, e.ts, e.dur ?? 0, data.url ? ` ${new URL(data.url).pathname}` : '');
    else if (e.ph === 'B') open.push(e);
    else if (e.ph === 'E' && open.length) {
      const begin = open.pop();
      add(begin.name, begin.ts, e.ts - begin.ts);
    }
  }
  rows.sort((a, b) => a.ts - b.ts);
  return { identityMs: (identity.ts - start) / 1000, rows: rows.map((r) => r.line), totals };
}

async function main() {
  const harness = await import('../tests/e2e/harness.mjs');
  const { IdpConsentPage, IdpLoginPage } = await import('../tests/e2e/pages.mjs');
  const dist = isAbsolute(settings.dist) ? settings.dist : join(REPO_ROOT, settings.dist);
  const origin = `http://${HOST}:${settings.appPort}`;
  const stops = [];
  try {
    const idp = await harness.startIdp({ port: settings.idpPort, redirectOrigins: [origin], logName: 'trace.idp' });
    stops.push(idp.stop);
    const server = await harness.startServer({
      listen: `${HOST}:${settings.appPort}`, issuer: idp.issuer, clientId: 'sso-web', dist, logName: 'trace.server',
    });
    stops.push(server.stop);
    const browser = await harness.launchBrowser();
    stops.push(() => browser.close());
    const idpOrigin = new URL(idp.issuer).origin;
    for (let run = 1; run <= settings.runs; run += 1) {
      const context = await browser.newContext();
      // Says `bench:settled` once the identity (or an error panel) is in the DOM: waiting with
      // Playwright's locators would run its injected script in the traced page (about 10 ms).
      await context.addInitScript(observeIdentityInDom);
      try {
        const page = await context.newPage();
        const settled = settledSample(page, harness.NAV_TIMEOUT_MS);
        await page.goto(`${origin}/`);
        await page.getByTestId('sign-in').click();
        await page.waitForURL((url) => url.origin === idpOrigin);
        await new IdpLoginPage(page).signIn('alice');
        const consent = new IdpConsentPage(page).continueButton;
        await consent.waitFor();
        const file = harness.artifactPath(`trace-${run}.json`);
        await browser.startTracing(page, { path: file, categories: CATEGORIES });
        await consent.click();
        const { error } = await settled;
        await browser.stopTracing();
        if (error) throw new Error(`run ${run}: the page shows an error: ${error}`);
        const { identityMs, rows, totals } = mainThread(file, settings.minMs);
        console.log(`\n== run ${run}: identity ${identityMs.toFixed(1)} ms after the callback request (${file})`);
        console.log('     ms    dur  main thread (tasks and calls >= ' + settings.minMs + ' ms), marks, requests');
        for (const row of rows) console.log(row);
        console.log('  totals (ms; nested events count in each):');
        const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 12);
        for (const [name, us] of top) console.log(`${(us / 1000).toFixed(1).padStart(9)}  ${name}`);
      } finally {
        await context.close();
      }
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(`trace: stop: ${err.message}`));
  }
}

main().catch((err) => {
  console.error(`trace: ${err.stack ?? err}`);
  process.exit(2);
});
