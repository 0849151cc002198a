//! Dev accounts of the dev IdP. The e2e and IdP tests import these to know what to expect.

// `sub` is a fixed UUID, deliberately different from the login name, so a UI that shows the
// username where the subject belongs is caught.
export const USERS = Object.freeze({
  alice: Object.freeze({
    sub: '0b6f3c1e-5a0d-4c52-9a57-6d1f1c2a0a01',
    name: 'Alice Anderson',
    preferred_username: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    groups: Object.freeze(['admins', 'ml-team']),
  }),
  bob: Object.freeze({
    sub: '0b6f3c1e-5a0d-4c52-9a57-6d1f1c2a0b02',
    name: 'Bob Brown',
    preferred_username: 'bob',
    email: 'bob@example.com',
    email_verified: true,
    groups: Object.freeze(['ml-team']),
  }),
  // carol has no `groups` claim at all (not an empty list): clients must cope with it missing.
  carol: Object.freeze({
    sub: '0b6f3c1e-5a0d-4c52-9a57-6d1f1c2a0c03',
    name: 'Carol Chen',
    preferred_username: 'carol',
    email: 'carol@example.com',
    email_verified: false,
  }),
});

export function userByLogin(login) {
  return Object.hasOwn(USERS, login) ? USERS[login] : undefined;
}

export function userBySub(sub) {
  return Object.values(USERS).find((u) => u.sub === sub);
}

/** Every claim of the account; oidc-provider filters them by granted scope and claims. */
export function claimsOf(user) {
  const { groups, ...rest } = user;
  return groups ? { ...rest, groups: [...groups] } : { ...rest };
}
