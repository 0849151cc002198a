//! Lighthouse 12 (desktop preset, simulated throttling) on three pages of sso-web, served by the
//! built sso-server against the dev IdP (tests/idp):
//!
//!   home   `/` signed out
//!   me     `/me` signed in as alice
//!   admin  `/admin` signed in as alice (a member of `admins`, the default SSO_ADMIN_GROUPS)
//!
//! alice signs in through the IdP in a puppeteer page (a server session: the cookie) and
//! Lighthouse audits that same page (`navigation(page, url, ...)` with `disableStorageReset`,
//! which would clear the cookie). Each page gets its own browser context and tab (and so its own
//! sign-in): a second `navigation()` on the same puppeteer page failed with NO_NAVSTART (several
//! navigations of one tab are what Lighthouse's `startFlow` is for). What Lighthouse's storage reset would do otherwise (clear the HTTP
//! cache and the origin's service workers, cache storage, file systems and shader cache) is done
//! here before every run, so each page is measured as a cold load, like Lighthouse's default.
//!
//! Prints the scores per page, then every audit below 1 in accessibility and best practices, and
//! the metrics, opportunities and failing diagnostics of a page whose performance is below the
//! budget. Saves bench/results/lighthouse-<page>.json (and .html). Exits 1 when a page misses the
//! budget (performance >= 95, accessibility 100, best practices 100) unless LH_NO_BUDGET=1, and 2
//! when it cannot run. The IdP's and server's logs are tests/e2e/artifacts/bench-lighthouse.*.log.
//!
//! Prerequisites (as for the e2e tests): `scripts/build.sh` (dist/), `cargo build -p sso-server`
//! (target/debug/sso-server), `npm ci --prefix tests` (the dev IdP) and `npm ci --prefix bench`.
//!
//! Environment:
//!   SSO_SERVER_BIN  the server binary (default target/debug/sso-server; relative to the repo root)
//!   BENCH_DIST      the SPA build to serve (default dist/; relative to the repo root), as for
//!                   latency.mjs
//!   CHROMIUM_PATH   the browser (default /usr/bin/chromium)
//!   LH_PAGES        a comma-separated subset of home,me,admin (default all three)
//!   LH_IDP_PORT     the dev IdP's port (default 9430)
//!   LH_APP_PORT     the server's port on 127.0.0.1 (default 8297)
//!                   (neither the e2e tests' 9410, 8190-8196 nor latency.mjs's 9420, 8290, 8291,
//!                   so all three can run at the same time)
//!   LH_NO_BUDGET=1  report only, exit 0 even when a budget is missed
//!   LH_MAX_ITEMS    detail rows printed per audit (default 10)

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { desktopConfig, generateReport, navigation } from 'lighthouse';
import puppeteer from 'puppeteer-core';

import {
  CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, startIdp, startServer,
} from '../tests/e2e/harness.mjs';
import { DEV_PASSWORD } from '../tests/e2e/pages.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(BENCH_DIR, 'results');

const BUDGET = Object.freeze({ performance: 95, accessibility: 100, 'best-practices': 100 });
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const ALL_PAGES = ['home', 'me', 'admin'];
const MAX_ITEMS = Number(process.env.LH_MAX_ITEMS ?? 10);
const UI_TIMEOUT_MS = 30_000;
/** Lighthouse's own default: what its storage reset clears (besides the HTTP cache). */
const CLEAR_STORAGE_TYPES = 'file_systems,shader_cache,service_workers,cache_storage';

const IDP_PORT = Number(process.env.LH_IDP_PORT ?? 9430);
const APP_LISTEN = `127.0.0.1:${Number(process.env.LH_APP_PORT ?? 8297)}`;
const APP_ORIGIN = `http://${APP_LISTEN}`;

function distDir() {
  const dist = process.env.BENCH_DIST ?? 'dist';
  return isAbsolute(dist) ? dist : join(REPO_ROOT, dist);
}

function selectedPages() {
  if (!process.env.LH_PAGES) return ALL_PAGES;
  const pages = process.env.LH_PAGES.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = pages.filter((p) => !ALL_PAGES.includes(p));
  if (unknown.length) throw new Error(`LH_PAGES: unknown page(s) ${unknown.join(', ')}; known: ${ALL_PAGES.join(', ')}`);
  return pages;
}

// ---------------------------------------------------------------------------------------------
// The browser side: signing in, checking what the page shows.

const sel = (id) => `[data-testid="${id}"]`;

/** From the signed-out home page through the IdP's login (and consent) to alice's /me. */
async function signIn(page, login) {
  await page.goto(`${APP_ORIGIN}/`, { waitUntil: 'load' });
  await page.waitForFunction(
    () => document.querySelector('[data-testid="sign-in"]')?.disabled === false,
    { timeout: UI_TIMEOUT_MS },
  );
  await page.click(sel('sign-in'));
  const loginInput = 'form:has(input[name="prompt"][value="login"]) input[name="login"]';
  await page.waitForSelector(loginInput, { timeout: UI_TIMEOUT_MS });
  await page.type(loginInput, login);
  await page.type('form:has(input[name="prompt"][value="login"]) input[name="password"]', DEV_PASSWORD);
  await page.click('form:has(input[name="prompt"][value="login"]) button[type="submit"]');

  const consent = 'form:has(input[name="prompt"][value="consent"]) button[type="submit"]';
  const landed = `${sel('identity-name')}, ${sel('auth-error')}`;
  const first = await page.waitForSelector(`${consent}, ${landed}`, { timeout: UI_TIMEOUT_MS });
  if (await first.evaluate((el, c) => el.matches(c), consent)) {
    await page.click(consent);
  }
  await page.waitForSelector(landed, { timeout: UI_TIMEOUT_MS });
  const error = await page.$(sel('auth-error'));
  if (error) {
    throw new Error(`sign-in as ${login} ended in auth-error: ${await error.evaluate((el) => el.textContent.trim())}`);
  }
  // The server session: the cookie is set once the exchange answered.
  await page.waitForSelector('[data-session-state="kept"]', { timeout: UI_TIMEOUT_MS });
  const session = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
  if (session !== 200) throw new Error(`signed in as ${login} but GET /api/v1/session answers ${session}`);
}

/** What each page must show for its audit to count; checked before and after Lighthouse. */
const EXPECT = {
  home: {
    path: '/',
    async check(page) {
      await page.waitForSelector(sel('sign-in'), { timeout: UI_TIMEOUT_MS });
      if (await page.$(sel('identity-summary'))) throw new Error('/ shows a signed-in summary, expected signed out');
    },
  },
  me: {
    path: '/me',
    async check(page) {
      const name = await page.waitForSelector(`${sel('identity-name')}, ${sel('sign-in')}, ${sel('auth-error')}`,
        { timeout: UI_TIMEOUT_MS });
      const testid = await name.evaluate((el) => el.dataset.testid);
      if (testid !== 'identity-name') throw new Error(`/me shows ${testid}, expected alice's identity (signed in)`);
    },
  },
  admin: {
    path: '/admin',
    async check(page) {
      // The editor (its Save button enabled once the settings loaded), not the setup-token form,
      // the sign-in button, "not an administrator" or an API error.
      const shown = await page.waitForFunction(() => {
        const q = (id) => document.querySelector(`[data-testid="${id}"]`);
        const save = document.querySelector('section.admin-form form [data-testid="save"]');
        if (save && !save.disabled && document.querySelector('[data-testid="field-issuer"]')) return 'editor';
        for (const id of ['not-admin', 'admin-error', 'setup-token-input', 'admin-rejected']) if (q(id)) return id;
        return false;
      }, { timeout: UI_TIMEOUT_MS }).then((h) => h.jsonValue());
      if (shown !== 'editor') throw new Error(`/admin shows ${shown}, expected the settings form (editor)`);
    },
  },
};

/** What Lighthouse's storage reset does, minus what matters here: the session cookie stays. */
async function resetCaches(page) {
  const cdp = await page.createCDPSession();
  try {
    await cdp.send('Network.clearBrowserCache');
    await cdp.send('Storage.clearDataForOrigin', { origin: APP_ORIGIN, storageTypes: CLEAR_STORAGE_TYPES });
  } finally {
    await cdp.detach();
  }
}

function lighthouseConfig() {
  return {
    ...desktopConfig,
    settings: { ...desktopConfig.settings, onlyCategories: CATEGORIES },
  };
}

async function audit(page, name) {
  const url = `${APP_ORIGIN}${EXPECT[name].path}`;
  await resetCaches(page);
  const result = await navigation(page, url, {
    config: lighthouseConfig(),
    flags: { disableStorageReset: true, logLevel: process.env.LH_LOG_LEVEL ?? 'error' },
  });
  if (!result?.lhr) throw new Error(`Lighthouse returned no result for ${url}`);
  if (result.lhr.runtimeError) {
    throw new Error(`Lighthouse could not audit ${url}: ${result.lhr.runtimeError.code} ${result.lhr.runtimeError.message}`);
  }
  // The page Lighthouse loaded is still open: it must show what this audit is about.
  await EXPECT[name].check(page);
  return result.lhr;
}

// ---------------------------------------------------------------------------------------------
// The report.

const score100 = (category) => (category?.score == null ? null : Math.round(category.score * 100));

function formatNumber(value, valueType) {
  switch (valueType) {
    case 'ms': case 'timespanMs': return `${Math.round(value)} ms`;
    case 'bytes': return `${(value / 1024).toFixed(1)} KiB`;
    default: return Number.isInteger(value) ? String(value) : value.toFixed(3);
  }
}

function clip(text, max = 300) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function formatValue(value, valueType) {
  if (value == null) return '';
  if (typeof value === 'number') return formatNumber(value, valueType);
  if (typeof value !== 'object') return String(value);
  switch (value.type) {
    case 'node': {
      const where = value.selector ?? value.path ?? '';
      const snippet = value.snippet ? ` ${value.snippet}` : '';
      const label = value.nodeLabel && !value.snippet?.includes(value.nodeLabel) ? ` "${value.nodeLabel}"` : '';
      const why = value.explanation ? ` — ${value.explanation}` : '';
      return `${where}${snippet}${label}${why}`;
    }
    case 'source-location':
      return `${value.url}:${(value.line ?? 0) + 1}:${(value.column ?? 0) + 1}`;
    case 'url': case 'code': case 'text': return String(value.value);
    case 'numeric': return formatNumber(value.value, value.granularity ? 'numeric' : valueType);
    case 'link': return `${value.text} <${value.url}>`;
    default: return clip(JSON.stringify(value), 200);
  }
}

/** Lines describing `details` (a table, an opportunity, a list or a checklist). */
function detailLines(details, indent = '      ') {
  if (!details) return [];
  const lines = [];
  switch (details.type) {
    case 'table':
    case 'opportunity': {
      const headings = (details.headings ?? []).filter((h) => h.key);
      const items = details.items ?? [];
      for (const item of items.slice(0, MAX_ITEMS)) {
        const cells = headings
          .map((h) => [h.label || h.key, formatValue(item[h.key], h.valueType)])
          .filter(([, v]) => v !== '');
        if (!cells.length) cells.push(['item', clip(JSON.stringify(item), 200)]);
        lines.push(`${indent}- ${clip(cells.map(([k, v]) => `${k}: ${v}`).join(' | '), 600)}`);
        for (const sub of item.subItems?.items?.slice(0, 3) ?? []) {
          const subCells = headings
            .filter((h) => h.subItemsHeading?.key)
            .map((h) => formatValue(sub[h.subItemsHeading.key], h.subItemsHeading.valueType ?? h.valueType))
            .filter(Boolean);
          if (subCells.length) lines.push(`${indent}    · ${clip(subCells.join(' | '), 400)}`);
        }
      }
      if (items.length > MAX_ITEMS) lines.push(`${indent}… and ${items.length - MAX_ITEMS} more (see the JSON report)`);
      break;
    }
    case 'list':
      for (const sub of details.items ?? []) lines.push(...detailLines(sub, indent));
      break;
    case 'checklist':
      for (const [key, entry] of Object.entries(details.items ?? {})) {
        lines.push(`${indent}- ${entry.value ? 'ok ' : 'NOT'} ${entry.label ?? key}`);
      }
      break;
    default:
      break; // debugdata, screenshot, criticalrequestchain, treemap-data: not for this summary
  }
  return lines;
}

function auditLines(a, weight) {
  const score = a.score == null ? a.scoreDisplayMode : a.score.toFixed(2);
  const unweighted = weight === 0 ? ' (weight 0: does not count toward the category score)' : '';
  const lines = [`    [${score}] ${a.id}: ${a.title}${a.displayValue ? ` — ${a.displayValue}` : ''}${unweighted}`];
  if (a.errorMessage) lines.push(`      error: ${clip(a.errorMessage, 400)}`);
  if (a.explanation) lines.push(`      ${clip(a.explanation, 600)}`);
  if (a.warnings?.length) for (const w of a.warnings) lines.push(`      warning: ${clip(w, 400)}`);
  lines.push(...detailLines(a.details));
  return lines;
}

/** Scored audits of `categoryId` below 1, plus those that could not run (scoreDisplayMode error). */
function failingAudits(lhr, categoryId) {
  const category = lhr.categories[categoryId];
  if (!category) return [];
  return category.auditRefs
    .map((ref) => ({ a: lhr.audits[ref.id], weight: ref.weight }))
    .filter(({ a }) => a && (a.scoreDisplayMode === 'error' || (a.score !== null && a.score < 1
      && !['informative', 'manual', 'notApplicable'].includes(a.scoreDisplayMode))));
}

const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time',
  'cumulative-layout-shift', 'speed-index'];
const METRIC_LABELS = {
  'first-contentful-paint': 'FCP', 'largest-contentful-paint': 'LCP', 'total-blocking-time': 'TBT',
  'cumulative-layout-shift': 'CLS', 'speed-index': 'SI',
};

function savingsOf(a) {
  const m = a.metricSavings ?? {};
  return {
    ms: a.details?.overallSavingsMs ?? 0,
    bytes: a.details?.overallSavingsBytes ?? 0,
    metrics: (m.LCP ?? 0) + (m.FCP ?? 0) + (m.TBT ?? 0) + 1000 * (m.CLS ?? 0),
  };
}

function performanceLines(lhr) {
  const lines = ['    metrics (simulated throttling):'];
  for (const id of METRICS) {
    const a = lhr.audits[id];
    if (a) lines.push(`      ${id}: ${a.displayValue} (score ${a.score?.toFixed(2) ?? '-'})`);
  }
  const perf = lhr.categories.performance;
  const audits = perf.auditRefs
    .filter((ref) => !METRICS.includes(ref.id) && ref.group !== 'metrics')
    .map((ref) => lhr.audits[ref.id])
    .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative'
      && a.scoreDisplayMode !== 'notApplicable');
  const withSavings = audits
    .map((a) => ({ a, s: savingsOf(a) }))
    .sort((x, y) => (y.s.ms - x.s.ms) || (y.s.metrics - x.s.metrics) || (y.s.bytes - x.s.bytes) || (x.a.score - y.a.score));
  if (withSavings.length) lines.push('    opportunities and diagnostics, most savings first:');
  for (const { a, s } of withSavings.slice(0, 8)) {
    const saving = [s.ms ? `saves ~${Math.round(s.ms)} ms` : '', s.bytes ? `${(s.bytes / 1024).toFixed(1)} KiB` : '']
      .filter(Boolean).join(', ');
    const lines2 = auditLines(a);
    if (saving) lines2[0] += ` (${saving})`;
    lines.push(...lines2);
  }
  if (withSavings.length > 8) lines.push(`    … and ${withSavings.length - 8} more below 1 (see the JSON report)`);
  return lines;
}

function printReport(reports) {
  const header = ['page', 'url', ...CATEGORIES, 'budget'];
  const rows = reports.map(({ name, lhr, missed }) => [
    name, new URL(lhr.finalDisplayedUrl ?? lhr.requestedUrl).pathname,
    ...CATEGORIES.map((c) => String(score100(lhr.categories[c]) ?? '-')),
    missed.length ? `MISSED (${missed.join(', ')})` : 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(`\nLighthouse ${reports[0]?.lhr.lighthouseVersion} · desktop preset · ${reports[0]?.lhr.environment?.hostUserAgent ?? ''}`);
  console.log(`budget: performance >= ${BUDGET.performance}, accessibility ${BUDGET.accessibility}, best-practices ${BUDGET['best-practices']} (seo: reported only)\n`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));

  console.log('\nmetrics (simulated throttling):');
  for (const { name, lhr } of reports) {
    const m = METRICS.map((id) => `${METRIC_LABELS[id]} ${lhr.audits[id]?.displayValue ?? '-'}`);
    console.log(`  ${name.padEnd(widths[0])}  ${m.join(' · ').replace(/\u00a0/g, ' ')}`);
  }

  for (const { name, lhr } of reports) {
    const out = [];
    for (const categoryId of ['accessibility', 'best-practices', 'seo']) {
      const failing = failingAudits(lhr, categoryId);
      if (!failing.length) continue;
      out.push(`  ${categoryId} (${score100(lhr.categories[categoryId])}): ${failing.length} audit(s) below 1`);
      for (const { a, weight } of failing) out.push(...auditLines(a, weight));
    }
    const perf = score100(lhr.categories.performance);
    if (perf !== null && perf < BUDGET.performance) {
      out.push(`  performance (${perf}) is below ${BUDGET.performance}:`);
      out.push(...performanceLines(lhr));
    }
    if (lhr.runWarnings?.length) {
      out.push('  Lighthouse warnings:');
      for (const w of lhr.runWarnings) out.push(`    ${clip(w, 400)}`);
    }
    if (out.length) {
      console.log(`\n== ${name} (${lhr.finalDisplayedUrl}) ==`);
      for (const l of out) console.log(l);
    }
  }
}

function budgetMisses(lhr) {
  return Object.entries(BUDGET)
    .filter(([id, min]) => (score100(lhr.categories[id]) ?? -1) < min)
    .map(([id]) => id);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const pages = selectedPages();
  const dist = distDir();
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`${dist}/index.html is missing: build the SPA with \`scripts/build.sh\` (or set BENCH_DIST).`);
  }
  mkdirSync(RESULTS, { recursive: true });

  const stops = [];
  const reports = [];
  try {
    const idp = await startIdp({ port: IDP_PORT, redirectOrigins: [APP_ORIGIN], logName: 'bench-lighthouse.idp' });
    stops.push(idp.stop);
    const server = await startServer({
      listen: APP_LISTEN, issuer: idp.issuer, dist, logName: 'bench-lighthouse.server',
      // alice is in `admins`; said explicitly so a changed default does not silently turn the
      // admin audit into a "not an administrator" audit (which EXPECT.admin would catch anyway).
      env: { SSO_ADMIN_GROUPS: 'admins' },
    });
    stops.push(server.stop);

    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      defaultViewport: null, // Lighthouse's desktop screen emulation sets it
    });
    stops.push(() => browser.close());
    console.log(`Chromium ${await browser.version()} (headless), server ${APP_ORIGIN} serving ${dist}, IdP ${idp.issuer}`);

    const run = async (name, page) => {
      process.stdout.write(`auditing ${name} (${EXPECT[name].path}) … `);
      const started = Date.now();
      const lhr = await audit(page, name);
      const file = join(RESULTS, `lighthouse-${name}.json`);
      writeFileSync(file, JSON.stringify(lhr, null, 2));
      writeFileSync(join(RESULTS, `lighthouse-${name}.html`), generateReport(lhr, 'html'));
      console.log(`${((Date.now() - started) / 1000).toFixed(1)} s -> ${file}`);
      reports.push({ name, lhr, missed: budgetMisses(lhr) });
    };

    if (pages.includes('home')) {
      // A fresh browser context: no session, like a first visit.
      const context = await browser.createBrowserContext();
      try {
        const page = await context.newPage();
        await page.goto(`${APP_ORIGIN}/`, { waitUntil: 'load' });
        await EXPECT.home.check(page);
        await run('home', page);
      } finally {
        await context.close();
      }
    }

    // One fresh context (and tab) per signed-in page (see the top of this file): a new
    // context has no cookie, so alice signs in again in each.
    for (const name of ['me', 'admin'].filter((p) => pages.includes(p))) {
      const context = await browser.createBrowserContext();
      try {
        const page = await context.newPage();
        await signIn(page, 'alice');
        if (new URL(page.url()).pathname !== EXPECT[name].path) {
          await page.goto(`${APP_ORIGIN}${EXPECT[name].path}`, { waitUntil: 'load' });
        }
        await EXPECT[name].check(page);
        await run(name, page);
      } finally {
        await context.close();
      }
    }
  } finally {
    for (const stop of stops.reverse()) {
      try { await stop(); } catch (err) { console.error(`cleanup: ${err.message}`); }
    }
  }

  printReport(reports);
  const missed = reports.filter((r) => r.missed.length);
  console.log(`\nJSON and HTML reports: ${RESULTS}/lighthouse-{${reports.map((r) => r.name).join(',')}}.{json,html}`);
  if (missed.length) {
    const summary = missed.map((r) => `${r.name}: ${r.missed.join(', ')}`).join('; ');
    if (process.env.LH_NO_BUDGET === '1') {
      console.log(`budget missed (LH_NO_BUDGET=1, not failing): ${summary}`);
    } else {
      console.error(`budget missed: ${summary}`);
      process.exitCode = 1;
    }
  } else {
    console.log('budget met on every page');
  }
}

main().catch((err) => {
  console.error(`\nlighthouse bench failed: ${err.stack ?? err}`);
  process.exitCode = 2;
});
