//! E2E harness: starts the dev IdP, the sso-server and Chromium; logs to tests/e2e/artifacts/.
//
// Nothing here sleeps for a fixed time: it waits for the IdP's `idp ready` line, for the
// server's GET /healthz, and (in tests) for what the user would see.

import { spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(REPO_ROOT, 'tests', 'e2e', 'artifacts');
export const IDP_SCRIPT = join(REPO_ROOT, 'tests', 'idp', 'server.mjs');

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  '--disable-dev-shm-usage',
];

/** Generous: a debug wasm build can take a while to load and compile on first visit. */
export const UI_TIMEOUT_MS = 30_000;
export const NAV_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

const children = new Set();
/** Temporary folders (each server's SSO_DATABASE) still to remove. */
const tempDirs = new Set();
function killAllAndClean() {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
// Last resort if a test process dies without running its `after` hooks.
process.on('exit', killAllAndClean);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAllAndClean();
    process.kill(process.pid, signal);
  });
}

export function artifactPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

export function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

export function portInUse(host, port) {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}

/**
 * A loopback port that nothing listens on: the OS hands out a free one, which is then closed.
 * Connecting to it is refused (unlike port 9, which Chromium blocks as ERR_UNSAFE_PORT before
 * even trying).
 */
export async function closedLoopbackPort() {
  const server = createServer();
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

export async function assertPortFree(host, port, what) {
  if (await portInUse(host, port)) {
    throw new Error(`${what}: ${host}:${port} is already in use (a leftover process from an earlier run?). `
      + `Find it with: ss -ltnp 'sport = :${port}'`);
  }
}

/** A child process whose stdout and stderr go to a log file under artifacts/. */
export class Child {
  /**
   * @param {{ env: object, logFile: string, inherit?: (name: string) => boolean }} options
   *   `inherit` picks the variables of this process the child gets (all by default); `env` is
   *   added on top.
   */
  constructor(name, command, args, { env, logFile, inherit = () => true }) {
    this.name = name;
    this.logFile = logFile;
    this.log = createWriteStream(logFile, { flags: 'w' });
    this.tail = '';
    this.proc = spawn(command, args, {
      cwd: REPO_ROOT,
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([key]) => inherit(key))),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(this.proc);
    this.exited = new Promise((done) => {
      this.proc.once('exit', (code, signal) => {
        children.delete(this.proc);
        done({ code, signal });
      });
    });
    this.spawnError = new Promise((_, fail) => {
      this.proc.once('error', (err) => fail(new Error(`${name}: cannot start ${command}: ${err.message}`)));
    });
    this.spawnError.catch(() => {});
    const keep = (chunk) => {
      this.log.write(chunk);
      this.tail = (this.tail + chunk.toString('utf8')).slice(-4000);
    };
    this.proc.stdout.on('data', keep);
    this.proc.stderr.on('data', keep);
  }

  /** Rejects once the process exits, with the end of its log: used to fail fast while waiting. */
  diedEarly() {
    const died = this.exited.then(({ code, signal }) => {
      throw new Error(`${this.name} exited early (code ${code}, signal ${signal}); log ${this.logFile}:\n${this.tail}`);
    });
    died.catch(() => {}); // only meaningful inside a race; a later exit (our own stop) is no error
    return died;
  }

  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      let timer;
      const timedOut = new Promise((done) => { timer = setTimeout(() => done('timeout'), STOP_TIMEOUT_MS); });
      if (await Promise.race([this.exited, timedOut]) === 'timeout') {
        this.proc.kill('SIGKILL');
        await this.exited;
      }
      clearTimeout(timer);
    }
    await new Promise((done) => this.log.end(done));
  }
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The secret of the IdP's `sso-web-confidential` client in the tests (IDP_CONFIDENTIAL_SECRET),
 * distinctive so a test can search every response the browser saw for it.
 */
export const E2E_CONFIDENTIAL_SECRET = 'e2e-confidential-secret-5b0c7d1e9a';

/**
 * Starts `node tests/idp/server.mjs` and resolves once it printed `idp ready <issuer>`.
 * `confidentialSecret` is sso-web-confidential's secret (E2E_CONFIDENTIAL_SECRET by default).
 * @returns {Promise<{ issuer: string, stop: () => Promise<void> }>}
 */
export async function startIdp({
  port, redirectOrigins, confidentialSecret = E2E_CONFIDENTIAL_SECRET, logName = 'idp', env = {},
}) {
  const host = '127.0.0.1';
  await assertPortFree(host, port, 'dev IdP');
  const issuer = `http://${host}:${port}`;
  const child = new Child('dev IdP', process.execPath, [IDP_SCRIPT], {
    env: {
      IDP_PORT: String(port),
      IDP_REDIRECT_ORIGINS: redirectOrigins.join(','),
      IDP_CONFIDENTIAL_SECRET: confidentialSecret,
      ...env,
    },
    logFile: artifactPath(`${logName}.log`),
  });
  const ready = new Promise((done) => {
    let buffered = '';
    child.proc.stdout.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      if (buffered.split('\n').includes(`idp ready ${issuer}`)) done();
    });
  });
  try {
    await withTimeout(Promise.race([ready, child.diedEarly(), child.spawnError]), START_TIMEOUT_MS,
      `dev IdP did not print "idp ready ${issuer}" within ${START_TIMEOUT_MS} ms; see ${child.logFile}`);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { issuer, logFile: child.logFile, stop: () => child.stop() };
}

export function serverBinary() {
  const bin = process.env.SSO_SERVER_BIN ?? 'target/debug/sso-server';
  return isAbsolute(bin) ? bin : join(REPO_ROOT, bin);
}

/** Fails with instructions when the SPA build or the server binary is missing. */
export function assertBuilt() {
  const dist = join(REPO_ROOT, 'dist');
  const problems = [];
  if (!existsSync(join(dist, 'index.html'))) {
    problems.push(`${dist}/index.html is missing: build the SPA with \`scripts/build.sh\` at the repo root.`);
  }
  const bin = serverBinary();
  if (!existsSync(bin)) {
    problems.push(`${bin} is missing: build it with \`cargo build -p sso-server\` at the repo root `
      + '(or point SSO_SERVER_BIN at a built sso-server).');
  }
  if (!existsSync(CHROMIUM)) {
    problems.push(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  }
  if (problems.length) throw new Error(`e2e prerequisites missing:\n  - ${problems.join('\n  - ')}`);
  return { dist, bin };
}

async function waitForHealthz(url, child) {
  let stop = false;
  const poll = (async () => {
    let delay = 50;
    let lastError = 'no answer yet';
    while (!stop) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = err.cause?.code ?? err.message;
      }
      // Poll interval between health checks, not a wait for an outcome.
      await new Promise((done) => { setTimeout(done, delay); });
      delay = Math.min(delay * 2, 500);
    }
    throw new Error(lastError);
  })();
  poll.catch(() => {});
  try {
    await withTimeout(Promise.race([poll, child.diedEarly(), child.spawnError]), START_TIMEOUT_MS,
      `sso-server did not answer GET ${url} with 2xx within ${START_TIMEOUT_MS} ms; see ${child.logFile}`);
  } finally {
    stop = true;
  }
}

/** A new empty folder under the OS temp dir, removed at stop (or when this process exits). */
function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return {
    dir,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

/**
 * A copy of the SPA build (dist/) in a new temp folder, plus `files` (name -> text or JSON
 * value) written into it, e.g. `{ 'sso-config.json': {...} }` for static hosting. Removed by
 * `remove()` (or when this process exits).
 * @param {Record<string, string|object>} [files]
 * @returns {{ dir: string, remove: () => Promise<void> }}
 */
export function copyDist(files = {}) {
  const { dist } = assertBuilt();
  const temp = makeTempDir('sso-e2e-dist-');
  cpSync(dist, temp.dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(temp.dir, name), typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  return temp;
}

/**
 * Starts the built sso-server serving dist/ and waits for /healthz.
 *
 * Every server gets its own SQLite file (`SSO_DATABASE`) in a new temp folder, removed by
 * `stop()`, so no state leaks between servers or into the repo's ./data.
 *
 * @param {object} options
 * @param {string} options.listen `host:port`
 * @param {string|null} options.issuer `OIDC_ISSUER`; `null` starts the server without
 *   `OIDC_ISSUER` and `OIDC_CLIENT_ID`, unconfigured (set up through /admin).
 * @param {string} [options.clientId] `OIDC_CLIENT_ID` (only with an issuer)
 * @param {string} [options.bootstrapToken] `SSO_BOOTSTRAP_TOKEN` (the setup token, >= 16 chars)
 * @param {Record<string,string>} [options.env] more variables (e.g. `SSO_ADMIN_GROUPS`,
 *   `OIDC_AUTH_METHOD`, `OIDC_SECRET`)
 * @param {string} [options.dist] `SSO_DIST` instead of the repo's dist/ (e.g. from `copyDist`)
 */
export async function startServer({
  listen, issuer, clientId = 'sso-web', bootstrapToken, env = {}, logName = 'server', dist: distOverride,
}) {
  const { dist: builtDist, bin } = assertBuilt();
  const dist = distOverride ?? builtDist;
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
  await assertPortFree(host, port, 'sso-server');
  if (bootstrapToken !== undefined && bootstrapToken.length < 16) {
    throw new Error(`SSO_BOOTSTRAP_TOKEN must be at least 16 characters, got ${bootstrapToken.length}`);
  }
  const origin = `http://${listen}`;
  const temp = makeTempDir('sso-e2e-db-');
  const database = join(temp.dir, 'sso.db');
  const child = new Child('sso-server', bin, [], {
    // The settings must come from here only, never from the shell that runs the tests.
    inherit: (key) => !key.startsWith('OIDC_') && !key.startsWith('SSO_'),
    env: {
      SSO_LISTEN: listen,
      SSO_DIST: dist,
      SSO_DATABASE: database,
      ...(issuer ? { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId } : {}),
      ...(bootstrapToken !== undefined ? { SSO_BOOTSTRAP_TOKEN: bootstrapToken } : {}),
      RUST_LOG: process.env.RUST_LOG ?? 'info',
      ...env,
    },
    logFile: artifactPath(`${logName}.log`),
  });
  const stop = async () => {
    try {
      await child.stop();
    } finally {
      await temp.remove();
    }
  };
  try {
    await waitForHealthz(`${origin}/healthz`, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { origin, database, logFile: child.logFile, stop };
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A fresh browser context (own cookies, own sessionStorage) with its page, a log of the page's
 * console, and every request the page made, in order.
 */
export async function newBrowserSession(browser, { logName }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  const page = await context.newPage();
  const log = createWriteStream(artifactPath(`${logName}.browser.log`), { flags: 'w' });
  const requests = [];
  const pageErrors = [];
  page.on('console', (msg) => log.write(`[console.${msg.type()}] ${msg.text()}\n`));
  page.on('pageerror', (err) => {
    pageErrors.push(err);
    log.write(`[pageerror] ${err.stack ?? err}\n`);
  });
  page.on('request', (req) => {
    requests.push({ url: req.url(), method: req.method(), navigation: req.isNavigationRequest() });
    if (req.isNavigationRequest()) log.write(`[navigate] ${req.method()} ${req.url()}\n`);
  });
  page.on('requestfailed', (req) => log.write(`[requestfailed] ${req.url()} ${req.failure()?.errorText}\n`));
  return {
    context,
    page,
    requests,
    /** Uncaught exceptions in the page (a wasm panic shows up here). */
    pageErrors,
    async close() {
      await context.close();
      await new Promise((done) => log.end(done));
    },
  };
}

export const E2E = Object.freeze({
  idpPort: 9410,
  appListen: '127.0.0.1:8190',
  get appOrigin() { return `http://${this.appListen}`; },
});

/**
 * The whole stack for one test file: IdP, server, Chromium. Stops all of it on failure too.
 * @param {string} suite used to name the log files
 * @param {object} [options]
 * @param {object} [options.server] passed on to `startServer` (e.g. `{ issuer: null,
 *   bootstrapToken }` for an unconfigured server); by default the server's OIDC_ISSUER is the IdP
 * @param {string[]} [options.redirectOrigins] more origins the IdP accepts redirects to
 */
export async function startStack(suite, { server: serverOptions = {}, redirectOrigins = [] } = {}) {
  const stack = { stops: [] };
  const close = async () => {
    const errors = [];
    for (const stop of stack.stops.reverse()) {
      try { await stop(); } catch (err) { errors.push(err); }
    }
    stack.stops = [];
    if (errors.length) throw errors[0];
  };
  try {
    assertBuilt();
    const idp = await startIdp({
      port: E2E.idpPort, redirectOrigins: [E2E.appOrigin, ...redirectOrigins], logName: `${suite}.idp`,
    });
    stack.stops.push(idp.stop);
    const server = await startServer({
      listen: E2E.appListen, issuer: idp.issuer, logName: `${suite}.server`, ...serverOptions,
    });
    stack.stops.push(server.stop);
    const discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    const browser = await launchBrowser();
    stack.stops.push(() => browser.close());

    return {
      /** The dev IdP's issuer (the server's OIDC_ISSUER unless `options.server.issuer` says otherwise). */
      issuer: idp.issuer,
      appOrigin: server.origin,
      server,
      discovery,
      browser,
      close,
      /**
       * Runs `fn` with a fresh browser session; on failure saves a screenshot named after the
       * test to artifacts/, then rethrows. Always closes the session.
       */
      async withSession(t, fn) {
        const name = `${suite}.${slug(t.name)}`;
        const session = await newBrowserSession(browser, { logName: name });
        try {
          await fn(session);
        } catch (err) {
          await session.page.screenshot({ path: artifactPath(`${name}.failure.png`), fullPage: true })
            .catch(() => {});
          throw err;
        } finally {
          await session.close();
        }
      },
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/**
 * Resolves once `condition()` (sync or async) is true, checking every 100 ms; fails after
 * `timeoutMs` naming `what`. For states a test cannot see in the page (a cookie jar, a server),
 * never a fixed wait.
 */
export async function until(condition, what, timeoutMs = UI_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    // Poll interval, not a wait for an outcome.
    await new Promise((done) => { setTimeout(done, 100); });
  }
}

/** The top-level navigations among recorded requests whose URL starts with `prefix`. */
export function navigationsTo(requests, prefix) {
  return requests.filter((r) => r.navigation && r.url.startsWith(prefix)).map((r) => new URL(r.url));
}

/**
 * Keeps the bodies of the responses to `method url`, as they pass: the request is made from
 * Node (`route.fetch()`, same headers and body) and its answer handed to the page unchanged.
 * The callback page may leave for the return path as soon as the sign-in is kept, and Chromium
 * cannot be asked for a left page's response bodies afterwards.
 *
 * @returns {Promise<{ url: string, status: number, body: Buffer }[]>} filled in as it happens
 */
export async function keepBodies(page, url, method = 'POST') {
  const kept = [];
  await page.route((u) => u.href === url, async (route) => {
    if (route.request().method() !== method) {
      await route.fallback();
      return;
    }
    const response = await route.fetch();
    kept.push({ url: route.request().url(), status: response.status(), body: await response.body() });
    await route.fulfill({ response });
  });
  return kept;
}

/**
 * Rewrites the IdP's redirect back to `<appOrigin>/oidc/callback` before the browser follows it.
 *
 * Playwright's route handlers only see the first request of a redirect chain, and the callback is
 * the last hop of one (form POST -> 303 /auth/:uid -> 303 /oidc/callback). So this intercepts the
 * IdP form POSTs, walks the IdP's own redirects with the context's request API (same cookie jar as
 * the browser), and answers the POST with a 303 to `rewrite(callbackUrl)` once a hop points at the
 * callback. Any other destination (the consent page) is handed to the browser unchanged.
 *
 * @param {import('playwright-core').BrowserContext} context
 * @param {(url: URL) => URL} rewrite gets the callback URL the IdP chose, returns the one to use
 * @returns {{ original: URL[], rewritten: URL[] }} the callback URLs seen, filled in as it happens
 */
export async function rewriteCallbackRedirect(context, { issuer, appOrigin, rewrite }) {
  const idpOrigin = new URL(issuer).origin;
  const callback = `${appOrigin}/oidc/callback`;
  const seen = { original: [], rewritten: [] };
  await context.route((url) => url.origin === idpOrigin, async (route) => {
    if (route.request().method() !== 'POST' || !route.request().isNavigationRequest()) {
      await route.fallback();
      return;
    }
    let response = await route.fetch({ maxRedirects: 0 });
    for (let hop = 0; hop < 10; hop += 1) {
      const location = response.headers().location;
      if (response.status() < 300 || response.status() > 399 || !location) break;
      const next = new URL(location, response.url());
      if (next.href.startsWith(`${callback}?`)) {
        const rewritten = rewrite(new URL(next.href));
        seen.original.push(next);
        seen.rewritten.push(rewritten);
        await route.fulfill({ status: 303, headers: { location: rewritten.href } });
        return;
      }
      if (next.origin !== idpOrigin || next.pathname.startsWith('/interaction/')) {
        // Not the callback yet: let the browser go there itself (and see that page).
        await route.fulfill({ status: 303, headers: { location: next.href } });
        return;
      }
      response = await context.request.get(next.href, { maxRedirects: 0 });
    }
    await route.fulfill({ response });
  });
  return seen;
}
