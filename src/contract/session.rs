//! The server session (`/api/v1/session`): the exchange body, the session resource, and the
//! codes of its refusals. Read and written by hand in serde's shape, so the browser needs no
//! derived (de)serializer for it (docs/performance.md).

use crate::oidc::id_token::ValidatedIdToken;
use crate::oidc::identity::{GroupsSource, Identity};
use crate::oidc::json::{Object, Record};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// `POST` (exchange), `GET` (read), `DELETE` (revoke).
pub const SESSION_PATH: &str = "/api/v1/session";
/// `POST`: revoke, and hand back the ID token once as the `id_token_hint` of RP-initiated
/// logout.
pub const SESSION_LOGOUT_PATH: &str = "/api/v1/session/logout";
/// The element of a page sso-server serves that holds the session (or `null`): a JSON data
/// block, like the settings.
pub const SESSION_ELEMENT_ID: &str = "sso-session";
/// Where the callback bundle's page is in the build (`dist/callback/index.html`); sso-server
/// serves it at `/oidc/callback`, and a static host's fallback hands the response over to it.
pub const CALLBACK_DOCUMENT: &str = "/callback/index.html";

/// The element of the callback page sso-server answers a form_post with: the authorization
/// response's fields, form-encoded as a JSON string (what a fragment response would hold).
pub const FORM_POST_ELEMENT_ID: &str = "sso-form-post";

/// What the data block holds when the server could not tell: a cross-site navigation,
/// which does not carry a `SameSite=Strict` cookie. The browser then asks
/// `GET /api/v1/session`, whose same-origin request carries it.
pub const SESSION_UNKNOWN: &str = "unknown";
/// The header the browser adds to cookie-authenticated requests that change state; a
/// cross-site form cannot send it (docs/security.md).
pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_HEADER_VALUE: &str = "sso-web";

/// Forward-auth (any method): `204` with the user in `X-Auth-Request-*` headers, `401`
/// without a session, `403` when `?group=` or `?allowed_email_domain=` is not met.
pub const AUTH_VERIFY_PATH: &str = "/api/v1/auth/verify";
/// `GET ?rd=<url>`: signs in if needed, then goes to `rd` (checked against
/// SSO_ALLOWED_REDIRECT_HOSTS). oauth2-proxy's path, so proxy snippets carry over.
pub const SIGN_IN_START_PATH: &str = "/oauth2/start";
/// The sign-in page's query parameter naming where to go after sign-in: a path on this
/// server (`/oauth2/start?rd=…` when another app sent the user).
pub const RETURN_TO_PARAM: &str = "return_to";

/// `GET`: the live sessions, for administrators.
pub const ADMIN_SESSIONS_PATH: &str = "/api/v1/admin/sessions";
/// `POST`: end every session but the caller's.
pub const ADMIN_REVOKE_OTHERS_PATH: &str = "/api/v1/admin/sessions/revoke-others";

/// One live session in the admin's list (`GET /api/v1/admin/sessions`); `DELETE
/// /api/v1/admin/sessions/{id}` ends it. Only the admin bundle reads it, with serde.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: i64,
    /// The email, else the username, else the subject.
    pub user: String,
    pub subject: String,
    pub signed_in_at: u64,
    pub last_used_at: u64,
    pub expires_at: u64,
    #[serde(default)]
    pub idle_expires_at: Option<u64>,
    /// The session this request came with.
    #[serde(default)]
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionSummary>,
}

/// The answer of `POST /api/v1/admin/sessions/revoke-others`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedCount {
    pub ended: u64,
}

/// The body of `POST /api/v1/session`.
#[derive(Clone, PartialEq, Eq)]
pub struct ExchangeRequest {
    pub id_token: String,
    pub nonce_secret: String,
}

impl std::fmt::Debug for ExchangeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExchangeRequest(<redacted>)")
    }
}

impl ExchangeRequest {
    pub const FIELDS: [&'static str; 2] = ["id_token", "nonce_secret"];

    pub fn to_json(&self) -> Value {
        json!({"id_token": self.id_token, "nonce_secret": self.nonce_secret})
    }
}

/// What the ID token said, for `/me`: never the token itself.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenFacts {
    pub alg: String,
    pub kid: Option<String>,
    pub issued_at: u64,
    pub expires_at: u64,
    pub claims: Map<String, Value>,
}

/// A signed-in session: who, and until when. The server's `GET /api/v1/session`; in static
/// hosting (no server) the browser builds the same from the validated ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub identity: Identity,
    pub is_admin: bool,
    pub signed_in_at: u64,
    /// The session's end, whatever it is used for (`SSO_SESSION_LENGTH`). In static hosting,
    /// the ID token's `exp`.
    pub expires_at: u64,
    /// When idle expiry is on (`SSO_SESSION_IDLE`): the end unless the session is used first.
    pub idle_expires_at: Option<u64>,
    pub id_token: TokenFacts,
}

impl SessionInfo {
    /// What the browser knows right after validating an ID token: the session until the
    /// server's answer replaces it (or, on a static host, for good).
    pub fn from_token(valid: &ValidatedIdToken, groups_claim: &str, now: u64) -> Self {
        SessionInfo {
            identity: Identity::from_claims(&valid.raw_claims, groups_claim),
            is_admin: false,
            signed_in_at: now,
            expires_at: valid.claims.exp,
            idle_expires_at: None,
            id_token: TokenFacts {
                alg: valid.header.alg.clone(),
                kid: valid.header.kid.clone(),
                issued_at: valid.claims.iat,
                expires_at: valid.claims.exp,
                claims: valid.raw_claims.clone(),
            },
        }
    }

    /// When the session ends if nothing happens: the earlier of its two ends.
    pub fn ends_at(&self) -> u64 {
        self.idle_expires_at
            .map_or(self.expires_at, |idle| idle.min(self.expires_at))
    }
}

fn groups_source_json(source: &GroupsSource) -> (&'static str, Option<&str>) {
    match source {
        GroupsSource::Claim { name } => ("claim", Some(name)),
        GroupsSource::Absent { name } => ("absent", Some(name)),
        GroupsSource::Overage => ("overage", None),
    }
}

impl Record for SessionInfo {
    /// Built member by member with `Value::from` rather than `json!`, whose `to_value` per
    /// member brings a serializer per type into the bundle.
    fn to_json(&self) -> Value {
        let who = &self.identity;
        let (source, claim) = groups_source_json(&who.groups_source);
        let token = &self.id_token;
        let mut facts = Map::new();
        facts.insert("alg".into(), token.alg.clone().into());
        facts.insert("kid".into(), token.kid.clone().into());
        facts.insert("issued_at".into(), token.issued_at.into());
        facts.insert("expires_at".into(), token.expires_at.into());
        facts.insert("claims".into(), Value::Object(token.claims.clone()));
        let mut doc = Map::new();
        let mut put = |name: &str, value: Value| {
            doc.insert(name.into(), value);
        };
        put("subject", who.sub.clone().into());
        put("issuer", who.iss.clone().into());
        put("name", who.name.clone().into());
        put("username", who.preferred_username.clone().into());
        put("email", who.email.clone().into());
        put("email_verified", who.email_verified.into());
        put("groups", who.groups.clone().into());
        put("groups_source", source.into());
        put("groups_claim", claim.into());
        put("is_admin", self.is_admin.into());
        put("signed_in_at", self.signed_in_at.into());
        put("expires_at", self.expires_at.into());
        put("idle_expires_at", self.idle_expires_at.into());
        put("id_token", Value::Object(facts));
        Value::Object(doc)
    }

    fn from_json(value: &Value) -> Option<Self> {
        let doc = Object::from_value(value)?;
        let claim = doc.opt_string("groups_claim").ok()?;
        let groups_source = match (doc.string("groups_source").ok()?.as_str(), claim) {
            ("claim", Some(name)) => GroupsSource::Claim { name },
            ("absent", Some(name)) => GroupsSource::Absent { name },
            ("overage", _) => GroupsSource::Overage,
            _ => return None,
        };
        let token = doc.object("id_token").ok()?;
        Some(SessionInfo {
            identity: Identity {
                sub: doc.string("subject").ok()?,
                iss: doc.string("issuer").ok()?,
                name: doc.opt_string("name").ok()?,
                preferred_username: doc.opt_string("username").ok()?,
                email: doc.opt_string("email").ok()?,
                email_verified: doc.opt_bool("email_verified").ok()?,
                groups: doc.opt_strings("groups").ok()?.unwrap_or_default(),
                groups_source,
            },
            is_admin: doc.opt_bool("is_admin").ok()?.unwrap_or_default(),
            signed_in_at: doc.u64("signed_in_at").ok()?,
            expires_at: doc.u64("expires_at").ok()?,
            idle_expires_at: doc.opt_u64("idle_expires_at").ok()?,
            id_token: TokenFacts {
                alg: token.string("alg").ok()?,
                kid: token.opt_string("kid").ok()?,
                issued_at: token.u64("issued_at").ok()?,
                expires_at: token.u64("expires_at").ok()?,
                claims: token.object("claims").ok()?.into_map(),
            },
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn alice() -> SessionInfo {
        let claims = json!({
            "iss": "https://idp.example.com", "sub": "u-1", "aud": "app",
            "iat": 1_000, "exp": 4_600, "name": "Alice", "groups": ["admins"],
        });
        let claims = claims.as_object().unwrap().clone();
        SessionInfo {
            identity: Identity::from_claims(&claims, "groups"),
            is_admin: true,
            signed_in_at: 1_005,
            expires_at: 1_005 + 720 * 3600,
            idle_expires_at: Some(2_000),
            id_token: TokenFacts {
                alg: "RS256".into(),
                kid: Some("k1".into()),
                issued_at: 1_000,
                expires_at: 4_600,
                claims,
            },
        }
    }

    #[test]
    fn round_trips_and_has_the_documented_shape() {
        let session = alice();
        let json = session.to_json();
        assert_eq!(SessionInfo::from_json(&json), Some(session.clone()));
        assert_eq!(json["subject"], "u-1");
        assert_eq!(json["username"], Value::Null);
        assert_eq!(json["groups"], json!(["admins"]));
        assert_eq!(json["groups_source"], "claim");
        assert_eq!(json["groups_claim"], "groups");
        assert_eq!(json["id_token"]["kid"], "k1");
        assert!(json.get("id_token").and_then(|t| t.get("raw")).is_none());
        assert_eq!(session.ends_at(), 2_000);
        let no_idle = SessionInfo {
            idle_expires_at: None,
            ..session.clone()
        };
        assert_eq!(no_idle.ends_at(), no_idle.expires_at);
        assert_eq!(SessionInfo::from_json(&no_idle.to_json()), Some(no_idle));
        for source in [
            GroupsSource::Overage,
            GroupsSource::Absent {
                name: "roles".into(),
            },
        ] {
            let mut other = session.clone();
            other.identity.groups_source = source;
            assert_eq!(SessionInfo::from_json(&other.to_json()), Some(other));
        }
    }

    #[test]
    fn anything_else_is_not_a_session() {
        let good = alice().to_json();
        let mut cases = vec![json!(null), json!("x"), json!({})];
        for (member, value) in [
            ("subject", json!(7)),
            ("expires_at", json!(-1)),
            ("expires_at", json!("1")),
            ("groups_source", json!("magic")),
            ("groups_source", Value::Null),
            ("groups", json!("admins")),
            ("id_token", json!("eyJ.x.y")),
        ] {
            let mut bad = good.clone();
            bad[member] = value;
            cases.push(bad);
        }
        let mut no_claim = good.clone();
        no_claim["groups_claim"] = Value::Null;
        cases.push(no_claim);
        for case in cases {
            assert_eq!(SessionInfo::from_json(&case), None, "{case}");
        }
    }

    #[test]
    fn the_exchange_body_hides_its_values() {
        let request = ExchangeRequest {
            id_token: "eyJ.secret.sig".into(),
            nonce_secret: "n".repeat(43),
        };
        assert_eq!(format!("{request:?}"), "ExchangeRequest(<redacted>)");
        assert_eq!(
            request.to_json(),
            json!({"id_token": "eyJ.secret.sig", "nonce_secret": "n".repeat(43)})
        );
    }
}
