//! E2E: forward-auth through a real nginx from Debian. nginx (127.0.0.1:8197) fronts a small
//! upstream app that echoes its request headers as JSON; every request first asks sso-server's
//! GET /api/v1/auth/verify (auth_request), `/admins/` with `?group=admins`. A 401 sends the
//! browser to sso-server's /oauth2/start?rd=…, which signs in and returns to the app.
//
// Cookies ignore ports, so the app on :8197 gets sso-server's (:8190) session cookie without
// SSO_COOKIE_DOMAIN; SSO_ALLOWED_REDIRECT_HOSTS names the app's host:port.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { USERS } from '../idp/users.mjs';
import { E2E, artifactPath, assertPortFree, startStack, until } from './harness.mjs';
import { App } from './pages.mjs';

const NGINX = '/usr/sbin/nginx';
const APP_LISTEN = '127.0.0.1:8197';
const APP = `http://${APP_LISTEN}`;

/** The upstream app: answers every request with the headers it got, as JSON. */
async function startEcho() {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, headers: req.headers }));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { port: server.address().port, stop: () => new Promise((done) => server.close(done)) };
}

/** nginx in the foreground, with the auth_request configuration docs/forward-auth.md shows. */
async function startNginx(echoPort) {
  assert.ok(existsSync(NGINX), `${NGINX} is missing: scripts/setup.sh installs Debian's nginx`);
  await assertPortFree('127.0.0.1', 8197, 'nginx');
  const dir = mkdtempSync(join(tmpdir(), 'sso-e2e-nginx-'));
  const sso = `http://${E2E.appListen}`;
  const headers = ['user', 'email', 'preferred_username', 'groups'].map((h) => `
      auth_request_set $sso_${h} $upstream_http_x_auth_request_${h};
      proxy_set_header X-Auth-Request-${h.replace('preferred_username', 'Preferred-Username')} $sso_${h};`).join('');
  const conf = `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${artifactPath('forward_auth.nginx.error.log')} info;
events { worker_connections 64; }
http {
  access_log ${artifactPath('forward_auth.nginx.access.log')};
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen ${APP_LISTEN};
    location / {
      auth_request /_sso_verify;${headers}
      error_page 401 = @sso_sign_in;
      proxy_pass http://127.0.0.1:${echoPort};
    }
    location /admins/ {
      auth_request /_sso_verify_admins;${headers}
      error_page 401 = @sso_sign_in;
      proxy_pass http://127.0.0.1:${echoPort};
    }
    location = /_sso_verify {
      internal;
      proxy_pass ${sso}/api/v1/auth/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
    location = /_sso_verify_admins {
      internal;
      proxy_pass ${sso}/api/v1/auth/verify?group=admins;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
    }
    location @sso_sign_in {
      return 302 ${sso}/oauth2/start?rd=$scheme://$http_host$request_uri;
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  let exited = null;
  child.once('exit', (code) => { exited = code; });
  await until(async () => {
    if (exited !== null) throw new Error(`nginx exited (${exited}): ${stderr}`);
    return fetch(`${APP}/_never`, { redirect: 'manual' }).then(() => true, () => false);
  }, 'nginx listening');
  return {
    stop: async () => {
      if (exited === null) {
        child.kill('SIGTERM');
        await new Promise((done) => child.once('exit', done));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('forward-auth through nginx', () => {
  let stack;
  let echo;
  let nginx;
  before(async () => {
    stack = await startStack('forward_auth', {
      server: { env: { SSO_ALLOWED_REDIRECT_HOSTS: APP_LISTEN } },
    });
    echo = await startEcho();
    nginx = await startNginx(echo.port);
  });
  after(async () => {
    await nginx?.stop();
    await echo?.stop();
    await stack?.close();
  });

  /** The upstream's echo of the request the page is on. */
  async function echoed(app) {
    return JSON.parse(await app.page.locator('body').innerText());
  }

  test('anonymous is sent to sign-in and back; the upstream sees alice; admins-only lets her in; sign-out ends it', async (t) => {
    await stack.withSession(t, async ({ page, context }) => {
      const app = new App(page, stack);
      // A query with & and an escaped space: nginx puts $request_uri into rd unencoded.
      await page.goto(`${APP}/notebooks/1?a=1&b=c%20d`);
      // nginx -> /oauth2/start -> the sign-in page, which goes on to the IdP by itself.
      await app.idpLogin.signIn('alice');
      await app.passConsentIfAsked(page.locator('body:has-text("x-auth-request-user")'));
      await page.waitForURL(`${APP}/notebooks/1?a=1&b=c%20d`);
      const { path, headers } = await echoed(app);
      assert.equal(path, '/notebooks/1?a=1&b=c%20d');
      assert.equal(headers['x-auth-request-user'], USERS.alice.sub);
      assert.equal(headers['x-auth-request-email'], USERS.alice.email);
      assert.equal(headers['x-auth-request-preferred-username'], USERS.alice.preferred_username);
      assert.equal(headers['x-auth-request-groups'], USERS.alice.groups.join(','));
      // The proxy passes the cookie on (docs/forward-auth.md says what that means for apps).
      assert.equal(headers.cookie?.includes('sso-web-session='), true, 'the app got the cookie');

      await page.goto(`${APP}/admins/panel`);
      assert.equal((await echoed(app)).path, '/admins/panel');

      // Signed out at sso-server: the app's next request is sent to sign-in again.
      await page.goto(`${stack.appOrigin}/me`);
      await app.signOut();
      const cookies = await context.cookies(APP);
      const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const res = await fetch(`${APP}/notebooks/1`, { redirect: 'manual', headers: { cookie } });
      assert.equal(res.status, 302);
      assert.equal(
        res.headers.get('location'),
        `${stack.appOrigin}/oauth2/start?rd=${APP}/notebooks/1`,
      );
    });
  });

  test('bob is signed in but not an admin: the admins-only location answers 403', async (t) => {
    await stack.withSession(t, async ({ page }) => {
      const app = new App(page, stack);
      await page.goto(`${APP}/`);
      await app.idpLogin.signIn('bob');
      await app.passConsentIfAsked(page.locator('body:has-text("x-auth-request-user")'));
      await page.waitForURL(`${APP}/`);
      assert.equal((await echoed(app)).headers['x-auth-request-preferred-username'], 'bob');
      const res = await page.goto(`${APP}/admins/panel`);
      assert.equal(res.status(), 403);
    });
  });

  test('a return address off the allow-list is refused with a page that says why', async (t) => {
    const bypasses = [
      '//evil.example/', '/\\evil.example/', 'https:evil.example', `http://${APP_LISTEN}@evil.example/`,
      'HTTP://EVIL.EXAMPLE/', 'http://аpp.example/', `http://127.0.0.1.:8197/`, 'http://127.0.0.1:8198/',
      'javascript:alert(1)',
    ];
    await stack.withSession(t, async ({ page }) => {
      for (const rd of bypasses) {
        const res = await page.goto(`${stack.appOrigin}/oauth2/start?rd=${encodeURIComponent(rd)}`);
        assert.equal(res.status(), 400, rd);
        const panel = page.locator('[data-error-code="redirect_not_allowed"]');
        await panel.waitFor();
        assert.match(await panel.innerText(), /SSO_ALLOWED_REDIRECT_HOSTS/, rd);
        assert.equal(new URL(page.url()).origin, stack.appOrigin, `${rd}: stayed on sso-server`);
      }
    });
  });
});
