//! E2E: other users' identities: bob has exactly one group; carol has no groups claim at all.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { USERS } from '../idp/users.mjs';
import { startStack } from './harness.mjs';
import { App } from './pages.mjs';

describe('users', () => {
  let stack;
  before(async () => { stack = await startStack('users'); });
  after(async () => { await stack?.close(); });

  test('bob sees exactly the ml-team group', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      await app.signIn('bob');
      const me = app.identity;
      assert.equal(await me.text(me.name), USERS.bob.name);
      assert.equal(await me.text(me.email), USERS.bob.email);
      assert.equal(await me.text(me.subject), USERS.bob.sub);
      assert.deepEqual(await me.groupNames(), ['ml-team']);
      assert.deepEqual(pageErrors.map(String), []);
    });
  });

  test('carol (no groups claim, unverified email) sees no group chips and no error', async (t) => {
    await stack.withSession(t, async ({ page, pageErrors }) => {
      const app = new App(page, stack);
      await app.signIn('carol');
      const me = app.identity;
      assert.equal(await me.text(me.name), USERS.carol.name);
      assert.equal(await me.text(me.username), 'carol');
      assert.equal(await me.text(me.email), USERS.carol.email);
      assert.equal(await me.groups.count(), 0);
      assert.equal(await app.authError.panel.count(), 0);
      assert.deepEqual(pageErrors.map(String), []);
    });
  });
});
