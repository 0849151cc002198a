//! Sign-in latency benchmark: sso-web (Rust/WASM, served by sso-server) against a reference page
//! built on oidc-client-ts, both doing Authorization Code + PKCE against the dev IdP.
//
//   npm ci --prefix tests && npm ci --prefix bench && node bench/latency.mjs
//
// The number compared is, on the callback page, the `sso:identity` mark minus the callback
// request's fetchStart: from the moment the browser starts fetching /oidc/callback to the
// signed-in identity being in the DOM. The mark's startTime (from performance.timeOrigin, which
// also holds the IdP's redirect hops) is reported beside it. The app moves to /me with
// history.replaceState, which is the same document, so the clock is the same. Runs alternate
// A B A B …, each in a fresh browser context (empty cookies, storage and HTTP cache), after one
// warm-up run of each that is not counted; the whole series runs once with the IdP on loopback
// and once with every IdP answer BENCH_IDP_DELAY_MS (40) late, an IdP across the internet.
// Prints a table on stdout, progress on stderr, and writes the raw numbers to
// bench/results/latency-<date>.json. Exit code 1: a ratio is over its budget (BUDGETS); 2: the
// benchmark itself failed. See bench/README.md.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { observeIdentityInDom, settledSample } from './in-page.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');

/** A positive integer from the environment, or `fallback` when unset. */
function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A whole number >= 0 from the environment, or `fallback` when unset. */
function nonNegativeIntFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number of milliseconds, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The dev user who signs in (tests/idp/users.mjs). */
const USER = 'alice';
/** The app's median may be at most this many times the reference's: on loopback, and with a
 * delayed (remote) IdP. */
const BUDGETS = { loopback: 1.0, remote: 0.75 };
const budgetFor = (delay) => (delay === 0 ? BUDGETS.loopback : BUDGETS.remote);
/** The app's scopes without extra ones (src/oidc/authorize.rs BASE_SCOPES); the reference asks the same. */
const SCOPE = 'openid profile email';

/** The settings from the environment (see README.md). */
function readSettings() {
  return {
    runs: intFromEnv('BENCH_RUNS', 20),
    // 0 runs loopback only.
    delays: [...new Set([0, nonNegativeIntFromEnv('BENCH_IDP_DELAY_MS', 40)])],
    noBudget: process.env.BENCH_NO_BUDGET === '1',
    // Not the e2e tests' ports (9410, 8190-8196), so both can run at the same time.
    ports: {
      idp: intFromEnv('BENCH_IDP_PORT', 9420),
      app: intFromEnv('BENCH_APP_PORT', 8290),
      ref: intFromEnv('BENCH_REF_PORT', 8291),
    },
  };
}
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;

/** The SPA build the app server serves: BENCH_DIST (relative to the repo root) or dist/. */
function appDist() {
  const dist = process.env.BENCH_DIST ?? 'dist';
  return isAbsolute(dist) ? dist : join(REPO_ROOT, dist);
}

/** Fails with the command to run when a node_modules folder the benchmark needs is missing. */
function assertInstalled() {
  const missing = [];
  for (const pkg of ['playwright-core', 'oidc-provider']) {
    if (!existsSync(join(REPO_ROOT, 'tests', 'node_modules', pkg, 'package.json'))) {
      missing.push(`tests/node_modules/${pkg} is missing: run \`npm ci --prefix tests\` at the repo root `
        + '(the e2e harness and the dev IdP import it).');
    }
  }
  for (const pkg of ['esbuild', 'oidc-client-ts']) {
    if (!existsSync(join(BENCH_DIR, 'node_modules', pkg, 'package.json'))) {
      missing.push(`bench/node_modules/${pkg} is missing: run \`npm ci --prefix bench\` at the repo root.`);
    }
  }
  const dist = appDist();
  if (!existsSync(join(dist, 'index.html'))) {
    missing.push(`${dist}/index.html is missing: build the SPA with \`scripts/build.sh\` (or set BENCH_DIST).`);
  }
  if (missing.length) throw new Error(`benchmark prerequisites missing:\n  - ${missing.join('\n  - ')}`);
}

function packageVersion(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

// ---------------------------------------------------------------------------------------------
// The reference page's static server (a child process, like the IdP and sso-server).

/** Starts `node bench/ref/serve.mjs <dir> <port>`; resolves once it printed `ref ready <origin>`. */
async function startRefServer(harness, { dir, port, logFile }) {
  const origin = `http://${HOST}:${port}`;
  const child = new harness.Child('ref server', process.execPath, [join(BENCH_DIR, 'ref', 'serve.mjs'), dir, String(port)], {
    env: { REF_COOP: process.env.BENCH_REF_COOP === '1' ? '1' : '0' }, logFile,
  });
  let stdout = '';
  const ready = new Promise((done) => {
    child.proc.stdout.on('data', (chunk) => {
      stdout += chunk.toString('utf8');
      if (stdout.split('\n').includes(`ref ready ${origin}`)) done();
    });
  });
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`ref server did not print "ref ready ${origin}" within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS);
  });
  try {
    await Promise.race([ready, child.diedEarly(), child.spawnError, timeout]);
  } catch (err) {
    await child.stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { origin, stop: () => child.stop() };
}

// ---------------------------------------------------------------------------------------------

const discoveryPath = (issuer) => `${issuer}/.well-known/openid-configuration`;
/** The IdP's token endpoint, from its discovery document. */
async function tokenEndpoint(issuer) {
  const doc = await (await fetch(discoveryPath(issuer))).json();
  return doc.token_endpoint;
}

/** The median of a non-empty list (the mean of the two middle values for an even count). */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function stats(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

const ms = (value) => (value === null || value === undefined ? 'n/a' : `${value.toFixed(1)} ms`);

/** `end - start` when both are numbers, else null. */
const diff = (end, start) => (typeof end === 'number' && typeof start === 'number' ? end - start : null);
const span = (name) => (marks) => diff(marks[`${name}:end`], marks[`${name}:start`]);

/** The app's own marks, turned into the breakdown rows. */
const BREAKDOWN = [
  ['wasm fetch+compile (sso:boot)', (marks) => marks['sso:boot'] ?? null],
  ['config fetch', span('sso:config')],
  ['discovery', span('sso:discovery')],
  ['token request', span('sso:token')],
  ['JWKS', span('sso:jwks')],
  ['signature check', span('sso:verify')],
  ['render (identity - verify:end)', (marks) => diff(marks['sso:identity'], marks['sso:verify:end'])],
];

/** The median of `pick(sample)` over the samples where it is a number, with how many those were. */
function medianOf(samples, pick) {
  const values = samples.map(pick).filter((v) => typeof v === 'number');
  return { median: values.length ? median(values) : null, count: values.length };
}

function resourceEnd(sample, pattern) {
  return sample.resources.find((r) => pattern.test(r.path))?.responseEnd ?? null;
}

async function main() {
  const { runs, delays, noBudget, ports } = readSettings();
  assertInstalled();
  // Imported only now, so a missing `npm ci` is reported as such rather than as a stack trace.
  const harness = await import('../tests/e2e/harness.mjs');
  const { IdpConsentPage, IdpLoginPage } = await import('../tests/e2e/pages.mjs');
  const { USERS } = await import('../tests/idp/users.mjs');
  const { buildRef } = await import('./ref/build.mjs');
  const expected = USERS[USER];

  const dist = appDist();
  const appOrigin = `http://${HOST}:${ports.app}`;
  const refOrigin = `http://${HOST}:${ports.ref}`;
  const versions = {
    oidcClientTs: packageVersion(join(BENCH_DIR, 'node_modules', 'oidc-client-ts')),
    playwrightCore: packageVersion(join(REPO_ROOT, 'tests', 'node_modules', 'playwright-core')),
    node: process.version,
  };
  const stops = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(`bench: stop: ${err.message}`));
    stops.length = 0;
  };

  try {
    await harness.assertPortFree(HOST, ports.ref, 'reference page server');
    const idp = await harness.startIdp({
      port: ports.idp, redirectOrigins: [appOrigin, refOrigin], logName: 'bench.idp',
      env: { IDP_DELAY_CONTROL: '1' },
    });
    stops.push(idp.stop);
    const ref = await buildRef({ authority: idp.issuer, clientId: 'sso-web', scope: SCOPE });
    const refServer = await startRefServer(harness, {
      dir: ref.outdir, port: ports.ref, logFile: harness.artifactPath('bench.ref.log'),
    });
    stops.push(refServer.stop);
    // A probe (bench/probes/) may stand in front of the app: it listens on the app's port and
    // forwards to sso-server ten ports up. Its figures are never the budgeted ones.
    const appProxy = process.env.BENCH_APP_PROXY;
    const serverPort = appProxy ? ports.app + 10 : ports.app;
    let proxy = null;
    if (appProxy) {
      proxy = new harness.Child(`probe ${appProxy}`, process.execPath,
        [resolve(REPO_ROOT, appProxy), String(ports.app), String(serverPort)],
        { logFile: harness.artifactPath('bench.probe.log') });
      stops.push(() => proxy.stop());
    }
    const server = await harness.startServer({
      listen: `${HOST}:${serverPort}`, issuer: idp.issuer, clientId: 'sso-web', dist, logName: 'bench.server',
    });
    stops.push(server.stop);
    if (appProxy) {
      await harness.until(async () => {
        // A probe that died fails the wait at once, with the end of its log.
        if (proxy.proc.exitCode !== null || proxy.proc.signalCode !== null) await proxy.diedEarly();
        return (await fetch(`${appOrigin}/healthz`).catch(() => null))?.ok;
      }, `the probe ${appProxy} on ${appOrigin}`);
    }
    const browser = await harness.launchBrowser();
    stops.push(() => browser.close());
    versions.esbuild = ref.esbuildVersion;
    versions.chromium = browser.version();

    const variants = {
      A: { label: `A sso-web (Rust/WASM)${appProxy ? ` behind ${appProxy}` : ''}`, origin: appOrigin },
      B: {
        label: `B oidc-client-ts ${versions.oidcClientTs}${process.env.BENCH_REF_COOP === '1' ? ' +COOP' : ''}`,
        origin: refOrigin,
      },
    };
    const idpOrigin = new URL(idp.issuer).origin;

    /** One sign-in as USER in a fresh context; returns what the callback document measured. */
    const signInOnce = async (key, name) => {
      const { origin } = variants[key];
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      context.setDefaultTimeout(harness.UI_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(harness.NAV_TIMEOUT_MS);
      await context.addInitScript(observeIdentityInDom);
      const page = await context.newPage();
      const settled = settledSample(page, harness.NAV_TIMEOUT_MS);
      const pageErrors = [];
      page.on('pageerror', (err) => pageErrors.push(err));
      try {
        await page.goto(`${origin}/`);
        await page.getByTestId('sign-in').click();
        await page.waitForURL((url) => url.origin === idpOrigin);
        await new IdpLoginPage(page).signIn(USER);
        // A fresh context has no IdP session, so the IdP asks for consent every time; should it
        // ever not, the browser is already on its way back.
        const consent = new IdpConsentPage(page).continueButton;
        const backAtOrigin = page.waitForURL((url) => url.origin === origin, { waitUntil: 'commit' });
        backAtOrigin.catch(() => {});
        const consentShown = consent.waitFor().then(() => true);
        consentShown.catch(() => {});
        if (await Promise.race([consentShown, backAtOrigin.then(() => false)])) await consent.click();
        await backAtOrigin;
        // The callback document's own measurements, taken in the page when the identity (or
        // an error) showed: the main app takes the app's callback page over right after.
        const sample = await settled;
        if (sample.error) throw new Error(`the page shows an error: ${sample.error}`);
        const { identity } = sample;
        if (identity.name !== expected.name || identity.subject !== expected.sub
          || identity.groups.slice().sort().join() !== [...expected.groups].sort().join()) {
          throw new Error(`unexpected identity in the DOM: ${JSON.stringify(identity)}`);
        }
        // The app's callback page shows the identity, then the main app takes the page over
        // with the live session (nav bar, sign-out, expiry): when its own sso:identity mark fell.
        if (key === 'A') {
          await page.locator('[data-session-state="kept"]').waitFor();
          // The main app marks from an effect, after its render (outside the measured interval).
          await page.waitForFunction(() => performance.getEntriesByName('sso:identity', 'mark').length > 1);
          const live = await page.evaluate(() => {
            const marks = performance.getEntriesByName('sso:identity', 'mark');
            return { origin: performance.timeOrigin, identity: marks.length > 1 ? marks[marks.length - 1].startTime : null };
          });
          sample.live = live.identity === null ? null : live.origin + live.identity - sample.timeOrigin;
        }
        if (pageErrors.length) throw new Error(`uncaught page error: ${pageErrors[0].stack ?? pageErrors[0]}`);
        return sample;
      } catch (err) {
        const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name))
          .catch(() => null);
        if (marks) err.message += ` (at ${page.url()}, marks so far: ${marks.join(', ') || 'none'})`;
        const shot = harness.artifactPath(`bench.${key}.${harness.slug(name)}.failure.png`);
        await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
        err.message = `${variants[key].label}, ${name}: ${err.message} (screenshot ${shot})`;
        throw err;
      } finally {
        await context.close();
      }
    };

    console.error(`bench: IdP ${idp.issuer}; app ${appOrigin} (${harness.serverBinary()}, ${dist}); `
      + `reference ${refOrigin} (${ref.bundle}, ${ref.bytes} bytes); Chromium ${versions.chromium}; `
      + `${runs} runs each, IdP delay ${delays.join(' and ')} ms`);

    /** The compared number of a sample: identity mark minus the callback's fetchStart. */
    const fromFetchStart = (metric) => (s) => diff(s.marks[metric], s.navigation?.fetchStart);
    const fromTimeOrigin = (metric) => (s) => s.marks[metric] ?? null;

    /** The IdP endpoints a callback document called (paths), for the same-work check. */
    const idpCalls = (sample) => sample.requests
      .filter((url) => url.startsWith(idpOrigin))
      .map((url) => new URL(url).pathname);

    const series = [];
    for (const delay of delays) {
      const answer = await fetch(`${idp.issuer}/__delay?ms=${delay}`, { method: 'POST' });
      if (answer.status !== 204) throw new Error(`the dev IdP refused the delay ${delay} ms: HTTP ${answer.status}`);
      const warmup = { A: await signInOnce('A', `warm-up, delay ${delay}`), B: await signInOnce('B', `warm-up, delay ${delay}`) };
      console.error(`bench: delay ${delay} ms: warm-up done`);
      const samples = { A: [], B: [] };
      for (let run = 1; run <= runs; run += 1) {
        for (const key of ['A', 'B']) {
          const sample = await signInOnce(key, `run ${run}, delay ${delay}`);
          samples[key].push(sample);
          console.error(`bench: delay ${delay} ms ${key} ${String(run).padStart(String(runs).length)}/${runs} `
            + `from fetchStart ${ms(diff(sample.marks['sso:identity'] ?? sample.marks['bench:identity-dom'], sample.navigation?.fetchStart))}, `
            + `from timeOrigin ${ms(sample.marks['sso:identity'])}`);
        }
      }
      // The reference must do no more than signinRedirectCallback() and render: its callback
      // calls the IdP's discovery and token endpoints, nothing else (no userinfo, no JWKS).
      const refCalls = [...new Set(samples.B.flatMap(idpCalls))].sort();
      const allowed = new Set([new URL(discoveryPath(idp.issuer)).pathname, new URL(await tokenEndpoint(idp.issuer)).pathname]);
      const extraCalls = refCalls.filter((path) => !allowed.has(path));
      if (extraCalls.length) {
        throw new Error(`the reference page's callback called more of the IdP than discovery and token: ${extraCalls.join(', ')}`);
      }
      const appMarks = samples.A.every((s) => typeof s.marks['sso:identity'] === 'number');
      const metric = appMarks ? 'sso:identity' : 'bench:identity-dom';
      const values = {
        A: samples.A.map(fromFetchStart(metric)),
        B: samples.B.map(fromFetchStart(metric)),
      };
      const originValues = {
        A: samples.A.map(fromTimeOrigin(metric)),
        B: samples.B.map(fromTimeOrigin(metric)),
      };
      const summary = { A: stats(values.A), B: stats(values.B) };
      const originSummary = { A: stats(originValues.A), B: stats(originValues.B) };
      const ratio = summary.A.median / summary.B.median;
      const budget = budgetFor(delay);
      series.push({
        delay, metric, warmup, samples, values, originValues, summary, originSummary, ratio, budget,
        withinBudget: ratio <= budget,
        originRatio: originSummary.A.median / originSummary.B.median,
        calls: { A: [...new Set(samples.A.flatMap(idpCalls))].sort(), B: refCalls },
      });
    }
    await stopAll();

    // ----- the report
    const out = [];
    const col = (text, w) => String(text).padStart(w);
    out.push('');
    out.push(`Sign-in latency: callback request fetchStart -> identity in the DOM, ${runs} runs each (after 1 warm-up), `
      + `user ${USER}, interleaved A B, a fresh browser context per run`);
    out.push(series.every((x) => x.metric === 'sso:identity')
      ? "metric: the page's own performance.mark('sso:identity') minus the callback navigation's fetchStart"
      : "metric: 'bench:identity-dom' (the app build places no 'sso:identity' mark: a MutationObserver "
        + 'marks when [data-testid=identity-name] gets its text, the same on both pages)');
    out.push('');
    const head = series.map((x) => col(`IdP +${x.delay} ms`, 22)).join('');
    out.push(`  ${''.padEnd(32)}${head}`);
    out.push(`  ${''.padEnd(32)}${series.map(() => `${col('median', 8)}${col('min', 7)}${col('max', 7)}`).join('')}`);
    for (const key of ['A', 'B']) {
      out.push(`  ${variants[key].label.padEnd(32)}${series.map((x) => {
        const st = x.summary[key];
        return `${col(st.median.toFixed(1), 8)}${col(st.min.toFixed(0), 7)}${col(st.max.toFixed(0), 7)}`;
      }).join('')}  ms`);
    }
    out.push(`  ${'ratio median(A)/median(B)'.padEnd(32)}${series.map((x) => col(x.ratio.toFixed(2), 8) + ''.padEnd(14)).join('')}`);
    out.push(`  ${'from timeOrigin: A | B, ratio'.padEnd(32)}${series.map((x) => col(
      `${x.originSummary.A.median.toFixed(0)} | ${x.originSummary.B.median.toFixed(0)}, ${x.originRatio.toFixed(2)}`, 22)).join('')}`);
    out.push('');
    for (const x of series) {
      out.push(`budget, IdP +${x.delay} ms: median(A) <= ${x.budget} x median(B) = ${(x.budget * x.summary.B.median).toFixed(1)} ms: `
        + `${x.withinBudget ? 'OK' : 'OVER'} (${x.summary.A.median.toFixed(1)} ms, ratio ${x.ratio.toFixed(2)})`
        + `${!x.withinBudget && noBudget ? ' [BENCH_NO_BUDGET=1: reported only]' : ''}`);
    }
    out.push('');
    out.push('IdP calls from the callback document: '
      + series.map((x) => `+${x.delay} ms: A ${x.calls.A.join(' ')} | B ${x.calls.B.join(' ')}`).join('; '));
    for (const x of series) {
      out.push('');
      out.push(`App breakdown, IdP +${x.delay} ms (medians over the A runs, from the app's sso:* marks, since timeOrigin):`);
      x.breakdown = {};
      for (const [label, pick] of BREAKDOWN) {
        const { median: m, count } = medianOf(x.samples.A, (sample) => pick(sample.marks));
        x.breakdown[label] = { median: m, runs: count };
        const partial = count && count < x.samples.A.length ? `  (${count} of ${x.samples.A.length} runs)` : '';
        out.push(`  ${label.padEnd(34)}${col(ms(m), 11)}${partial}`);
      }
      out.push(`Extra, IdP +${x.delay} ms (medians since timeOrigin; A | B):`);
      const extras = [
        ['callback request fetchStart', (sample) => sample.navigation?.fetchStart ?? null],
        ['callback document responseEnd', (sample) => sample.navigation?.responseEnd ?? null],
        ['DOMContentLoaded', (sample) => sample.navigation?.domContentLoadedEventEnd ?? null],
        ['script started (sso:boot)', (sample) => sample.marks['sso:boot'] ?? null],
        ['.wasm | .js bundle responseEnd', null],
        ['early token script (A)', (sample) => sample.marks['sso:early-token'] ?? null],
        ['token request start', (sample) => sample.resources.find((r) => r.path.endsWith('/token'))?.startTime ?? null],
        ['token request responseEnd', (sample) => resourceEnd(sample, /\/token$/)],
        ['identity in DOM (observer mark)', (sample) => sample.marks['bench:identity-dom'] ?? null],
        ["page's own sso:identity mark", (sample) => sample.marks['sso:identity'] ?? null],
        ['live /me page (A: main app)', (sample) => sample.live ?? null],
      ];
      x.extra = {};
      for (const [label, pick] of extras) {
        const a = medianOf(x.samples.A, pick ?? ((sample) => resourceEnd(sample, /\.wasm$/))).median;
        const b = medianOf(x.samples.B, pick ?? ((sample) => resourceEnd(sample, /^\/assets\/app-.*\.js$/))).median;
        x.extra[label] = { A: a, B: b };
        out.push(`  ${label.padEnd(34)}${col(ms(a), 11)} | ${ms(b)}`);
      }
    }
    out.push('');
    out.push('Note: oidc-client-ts checks the ID token\'s claims but not its signature (it never fetches '
      + 'the JWKS);');
    out.push('sso-web fetches the JWKS and verifies the RS256 signature. Both read the identity from the ID token.');

    const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
    mkdirSync(RESULTS_DIR, { recursive: true });
    const resultsFile = join(RESULTS_DIR, `latency-${stamp}.json`);
    writeFileSync(resultsFile, `${JSON.stringify({
      date: new Date().toISOString(),
      runs,
      user: USER,
      budgets: { ...BUDGETS, enforced: !noBudget },
      environment: {
        ...versions,
        serverBin: harness.serverBinary(),
        dist,
        issuer: idp.issuer,
        appOrigin,
        refOrigin,
        refBundle: { path: ref.bundle, bytes: ref.bytes },
      },
      series: series.map((x) => ({
        delayMs: x.delay,
        metric: x.metric,
        summary: { ...x.summary, ratio: x.ratio },
        fromTimeOrigin: { ...x.originSummary, ratio: x.originRatio },
        budget: x.budget,
        withinBudget: x.withinBudget,
        idpCalls: x.calls,
        breakdown: x.breakdown,
        extra: x.extra,
        samples: x.values,
        raw: { warmup: x.warmup, A: x.samples.A, B: x.samples.B },
      })),
    }, null, 2)}\n`);
    out.push('');
    out.push(`raw numbers: ${relative(REPO_ROOT, resultsFile)}`);
    console.log(out.join('\n'));

    if (series.some((x) => !x.withinBudget) && !noBudget) process.exitCode = 1;
  } finally {
    await stopAll();
  }
}

main().catch((err) => {
  console.error(`bench: ${err.stack ?? err}`);
  process.exitCode = 2;
});
