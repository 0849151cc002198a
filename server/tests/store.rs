//! One suite for every store: each case runs on a fresh SQLite file and on a fresh database of
//! a real PostgreSQL cluster that this test starts (and stops) itself.

mod common;

use std::sync::Arc;

use common::postgres::Cluster;
use sso_server::config::Database;
use sso_server::settings::{Secret, SettingsPatch};
use sso_server::store::{
    self, Actor, Created, EndReason, NewSession, Store, UpdateOutcome, SECRET_ERASED,
};
use sso_web::contract::admin::{ActorKind, AuditEvent};
use sso_web::contract::settings::Value;

type Case = fn(&dyn Store);

const CASES: [(&str, Case); 8] = [
    (
        "update_bumps_version_and_audits_changed_fields_only",
        update_bumps_version_and_audits_changed_fields_only,
    ),
    (
        "moving_to_another_idp_erases_the_stored_secret",
        moving_to_another_idp_erases_the_stored_secret,
    ),
    ("audit_pages_newest_first", audit_pages_newest_first),
    (
        "a_token_is_traded_once_and_the_session_reads_back",
        a_token_is_traded_once_and_the_session_reads_back,
    ),
    (
        "ending_hint_listing_and_purging",
        ending_hint_listing_and_purging,
    ),
    (
        "the_first_setup_token_wins_and_a_reset_replaces_it",
        the_first_setup_token_wins_and_a_reset_replaces_it,
    ),
    (
        "the_version_alone_follows_saves",
        the_version_alone_follows_saves,
    ),
    (
        "an_export_imports_into_an_empty_store_only",
        an_export_imports_into_an_empty_store_only,
    ),
];

fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let store = store::open(&Database::Sqlite(tmp.path().join("sso.db"))).expect("open");
    (tmp, store)
}

fn postgres(cluster: &Cluster) -> Arc<dyn Store> {
    let url = cluster.fresh_database();
    store::open(&Database::parse(Some(&url)).expect("url")).expect("open")
}

#[test]
fn on_sqlite() {
    for (name, case) in CASES {
        let (_tmp, store) = sqlite();
        eprintln!("sqlite: {name}");
        case(store.as_ref());
    }
}

#[test]
fn on_postgres() {
    let cluster = Cluster::start();
    for (name, case) in CASES {
        let store = postgres(&cluster);
        eprintln!("postgres: {name}");
        case(store.as_ref());
    }
    // The password the URL carries reaches neither an error nor PostgreSQL's own log.
    let bad = cluster.url("no_such_database");
    let err = store::open(&Database::parse(Some(&bad)).expect("url")).expect_err("no database");
    assert!(
        !err.to_string().contains(common::postgres::PASSWORD),
        "{err}"
    );
    assert!(!cluster.server_log().contains(common::postgres::PASSWORD));
}

/// Migrations run once, under the advisory lock, when several processes open one database
/// at the same moment.
#[test]
fn concurrent_opens_migrate_once() {
    let cluster = Cluster::start();
    let url = cluster.fresh_database();
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                store::open(&Database::parse(Some(&url)).expect("url")).map(|_| ())
            })
        })
        .collect();
    for open in opens {
        open.join().expect("thread").expect("every open succeeds");
    }
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let applied: i64 = client
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .expect("query")
        .get(0);
    assert_eq!(applied, 1);
}

/// `sslmode=verify-full` checks the server's certificate against `sslrootcert` and its name;
/// a certificate from elsewhere is refused.
#[test]
fn tls_verify_full_checks_the_certificate() {
    let cluster = Cluster::start_with(true);
    let url = cluster.fresh_database().replace("sslmode=disable", "");
    let ca = cluster.ca_file();
    let verified = format!("{url}sslmode=verify-full&sslrootcert={}", ca.display());
    let store = store::open(&Database::parse(Some(&verified)).expect("url")).expect("TLS");
    assert_eq!(store.version().expect("version"), 0);
    // Without our CA the public roots do not vouch for the test certificate.
    let unknown_ca = format!("{url}sslmode=verify-full");
    let err = store::open(&Database::parse(Some(&unknown_ca)).expect("url"))
        .expect_err("an unknown CA is refused");
    assert!(
        !err.to_string().contains(common::postgres::PASSWORD),
        "{err}"
    );
    // `require` encrypts without checking.
    let required = format!("{url}sslmode=require");
    store::open(&Database::parse(Some(&required)).expect("url")).expect("TLS, unchecked");
    // The server saw TLS connections.
    let mut client =
        postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls).expect("connect");
    let tls: i64 = client
        .query_one("SELECT count(*) FROM pg_stat_ssl WHERE ssl", &[])
        .expect("query")
        .get(0);
    assert!(tls >= 1, "{tls}");
}

fn actor() -> Actor {
    Actor {
        name: "alice@example.com".into(),
        kind: ActorKind::Sso,
        id: Some("https://idp.example.com u-1".into()),
    }
}

fn alice() -> Actor {
    Actor {
        name: "alice@example.com".into(),
        kind: ActorKind::Sso,
        id: Some("https://idp u-1".into()),
    }
}

fn text(value: &str) -> Option<Value> {
    Some(Value::Text(value.into()))
}

fn secret(value: &str) -> Option<Value> {
    Some(Value::Secret(Secret::new(value)))
}

fn patch(members: &[(&'static str, Option<Value>)]) -> SettingsPatch {
    SettingsPatch(members.iter().cloned().collect())
}

fn new_session<'a>(actor: &'a Actor, cookie: u8, token: u8, now: u64) -> NewSession<'a> {
    NewSession {
        id_hash: [cookie; 32],
        issuer: "https://idp",
        client_id: "app",
        subject: "u-1",
        display: "alice@example.com",
        info: "{}".into(),
        id_token: "eyJ.hint.sig",
        signed_in_at: now,
        expires_at: now + 100,
        token_hash: [token; 32],
        token_expires_at: now + 600,
        actor,
    }
}

fn the_first_setup_token_wins_and_a_reset_replaces_it(store: &dyn Store) {
    assert_eq!(store.setup_token_hash().expect("read"), None);
    assert!(store.create_setup_token(&[1; 32]).expect("create"));
    assert!(!store.create_setup_token(&[2; 32]).expect("create"));
    assert_eq!(store.setup_token_hash().expect("read"), Some([1; 32]));
    store.replace_setup_token(&[3; 32]).expect("replace");
    assert_eq!(store.setup_token_hash().expect("read"), Some([3; 32]));
}

fn the_version_alone_follows_saves(store: &dyn Store) {
    assert_eq!(store.version().expect("version"), 0);
    store
        .update(0, &patch(&[("client_id", text("app"))]), &actor())
        .expect("update");
    assert_eq!(store.version().expect("version"), 1);
}

fn an_export_imports_into_an_empty_store_only(store: &dyn Store) {
    store
        .update(
            0,
            &patch(&[
                ("issuer", text("https://idp.example.com")),
                ("client_secret", secret("s3cret")),
            ]),
            &actor(),
        )
        .expect("update");
    store.create_setup_token(&[9; 32]).expect("token");
    let actor = alice();
    store
        .create_session(&new_session(&actor, 1, 1, 1_000), 1)
        .expect("session");
    let dump = store.export().expect("export");
    assert_eq!(dump.settings.version, 1);
    assert_eq!(dump.audit.len(), 2);
    assert_eq!(dump.sessions.len(), 1);
    assert_eq!(dump.used_id_tokens.len(), 1);
    assert_eq!(dump.setup_token.as_ref().map(|(h, _)| *h), Some([9; 32]));
    // Into a fresh SQLite store, and back out the same.
    let (_tmp, copy) = sqlite();
    copy.import(&dump).expect("import");
    assert_eq!(copy.export().expect("export"), dump);
    // New rows continue after the copied ids.
    let Created::Created { id } = copy
        .create_session(&new_session(&actor, 2, 2, 1_001), 1)
        .expect("session")
    else {
        panic!("fresh token");
    };
    assert!(id > dump.sessions[0].row.id);
    // Never over existing data.
    assert!(matches!(
        store.import(&dump),
        Err(store::StoreError::NotEmpty)
    ));
}

pub fn update_bumps_version_and_audits_changed_fields_only(store: &dyn Store) {
    let patch = patch(&[
        ("issuer", text("https://idp.example.com")),
        ("client_secret", secret("s3cret")),
        ("scopes", Some(Value::List(vec!["groups".into()]))),
        ("groups_claim", None),
    ]);
    let UpdateOutcome::Changed { snapshot, fields } =
        store.update(0, &patch, &actor()).expect("update")
    else {
        panic!("expected a change");
    };
    assert_eq!(snapshot.version, 1);
    assert_eq!(fields, ["issuer", "client_secret", "scopes"]);
    assert_eq!(store.load().expect("load"), snapshot);

    // Same values again: nothing to do, even with the current version.
    assert_eq!(
        store.update(1, &patch, &actor()).expect("update"),
        UpdateOutcome::Unchanged(snapshot.clone())
    );
    assert_eq!(
        store.update(0, &patch, &actor()).expect("update"),
        UpdateOutcome::Stale { current_version: 1 }
    );
    let (entries, next) = store.audit(20, None).expect("audit");
    assert_eq!(next, None);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].fields, ["issuer", "client_secret", "scopes"]);
    assert_eq!(entries[0].actor, "alice@example.com");
    assert_eq!(entries[0].actor_kind, ActorKind::Sso);
    assert_eq!(
        entries[0].actor_id.as_deref(),
        Some("https://idp.example.com u-1")
    );
    assert_eq!(entries[0].event, AuditEvent::SettingsChanged);
    assert_eq!(entries[0].version, 1);
}

pub fn moving_to_another_idp_erases_the_stored_secret(store: &dyn Store) {
    let first = patch(&[
        ("issuer", text("https://idp.example.com")),
        ("client_id", text("app")),
        ("client_secret", secret("s3cret")),
    ]);
    store.update(0, &first, &actor()).expect("update");
    for (version, moved) in [
        (1, patch(&[("issuer", text("https://attacker.example"))])),
        (3, patch(&[("client_id", text("other"))])),
    ] {
        let UpdateOutcome::Changed { snapshot, fields } =
            store.update(version, &moved, &actor()).expect("update")
        else {
            panic!("a change");
        };
        assert_eq!(snapshot.settings.get("client_secret"), None, "{moved:?}");
        assert!(fields.contains(&"client_secret"), "{fields:?}");
        assert_eq!(store.load().expect("load"), snapshot);
        let (entries, _) = store.audit(1, None).expect("audit");
        assert_eq!(entries[0].target.as_deref(), Some(SECRET_ERASED));
        // Put a secret back for the next round.
        store
            .update(
                version + 1,
                &patch(&[("client_secret", secret("s3cret"))]),
                &actor(),
            )
            .expect("update");
    }
    // A new secret sent with the move is kept.
    let with_secret = patch(&[
        ("issuer", text("https://new.example.com")),
        ("client_secret", secret("new-secret")),
    ]);
    let UpdateOutcome::Changed { snapshot, .. } =
        store.update(5, &with_secret, &actor()).expect("update")
    else {
        panic!("a change");
    };
    assert_eq!(
        snapshot.settings.get("client_secret"),
        secret("new-secret").as_ref()
    );
    // Other fields leave it alone.
    let scopes = patch(&[("scopes", Some(Value::List(vec!["groups".into()])))]);
    let UpdateOutcome::Changed { snapshot, fields } =
        store.update(6, &scopes, &actor()).expect("update")
    else {
        panic!("a change");
    };
    assert!(snapshot.settings.contains_key("client_secret"));
    assert_eq!(fields, ["scopes"]);
}

pub fn audit_pages_newest_first(store: &dyn Store) {
    for version in 0..5u64 {
        let patch = patch(&[("client_id", text(&format!("client-{version}")))]);
        store.update(version, &patch, &actor()).expect("update");
    }
    let (page, next) = store.audit(2, None).expect("audit");
    assert_eq!(page.iter().map(|e| e.version).collect::<Vec<_>>(), [5, 4]);
    let (page, next) = store.audit(2, next).expect("audit");
    assert_eq!(page.iter().map(|e| e.version).collect::<Vec<_>>(), [3, 2]);
    let (page, next) = store.audit(2, next).expect("audit");
    assert_eq!(page.iter().map(|e| e.version).collect::<Vec<_>>(), [1]);
    assert_eq!(next, None);
}

pub fn a_token_is_traded_once_and_the_session_reads_back(store: &dyn Store) {
    let actor = alice();
    let Created::Created { id } = store
        .create_session(&new_session(&actor, 1, 9, 1_000), 0)
        .expect("create")
    else {
        panic!("first exchange");
    };
    assert_eq!(
        store
            .create_session(&new_session(&actor, 2, 9, 1_001), 0)
            .expect("create"),
        Created::Replayed
    );
    assert_eq!(store.session_by_hash(&[2; 32]).expect("read"), None);
    let row = store
        .session_by_hash(&[1; 32])
        .expect("read")
        .expect("exists");
    assert_eq!(row.id, id);
    assert_eq!((row.signed_in_at, row.expires_at), (1_000, 1_100));
    assert_eq!(row.last_used_at, 1_000);
    assert_eq!(row.ended, None);
    store.touch_session(id, 1_050).expect("touch");
    store
        .touch_session(id, 1_040)
        .expect("an older touch is ignored");
    let row = store.session_by_hash(&[1; 32]).expect("read").expect("row");
    assert_eq!(row.last_used_at, 1_050);
    let (entries, _) = store.audit(10, None).expect("audit");
    assert_eq!(entries.len(), 1, "one sign-in, not two");
    assert_eq!(entries[0].event.as_str(), "sign_in");
    assert_eq!(entries[0].target.as_deref(), Some("alice@example.com"));
    assert_eq!(entries[0].actor_id.as_deref(), Some("https://idp u-1"));
}

pub fn ending_hint_listing_and_purging(store: &dyn Store) {
    let actor = alice();
    let mut ids = Vec::new();
    for n in 1..=3u8 {
        match store
            .create_session(&new_session(&actor, n, n, 1_000 + u64::from(n)), 0)
            .expect("create")
        {
            Created::Created { id } => ids.push(id),
            Created::Replayed => panic!("fresh token"),
        }
    }
    assert_eq!(
        store.take_id_token_hint(ids[0]).expect("hint").as_deref(),
        Some("eyJ.hint.sig")
    );
    assert_eq!(
        store.take_id_token_hint(ids[0]).expect("hint"),
        None,
        "once"
    );
    assert!(store
        .end_session(ids[0], EndReason::SignedOut, 1_010, &actor, 0)
        .expect("end"));
    assert!(!store
        .end_session(ids[0], EndReason::Revoked, 1_011, &actor, 0)
        .expect("end"));
    let row = store
        .session_by_hash(&[1; 32])
        .expect("read")
        .expect("kept");
    assert_eq!(row.ended, Some((1_010, EndReason::SignedOut)));

    let live = store.active_sessions(1_020, None, 10).expect("list");
    assert_eq!(
        live.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[2], ids[1]]
    );
    // Idle for 10 s: all three were last used before 1_010.
    assert!(store
        .active_sessions(1_020, Some(10), 10)
        .expect("list")
        .is_empty());
    // Past their length.
    assert!(store
        .active_sessions(1_200, None, 10)
        .expect("list")
        .is_empty());

    assert_eq!(
        store
            .end_other_sessions(Some(ids[2]), 1_030, &actor, 0)
            .expect("end others"),
        1
    );
    let live = store.active_sessions(1_031, None, 10).expect("list");
    assert_eq!(live.iter().map(|s| s.id).collect::<Vec<_>>(), [ids[2]]);
    assert_eq!(
        store
            .end_sessions_not_under(Some("https://other"), Some("app"), 1_040, &actor, 0)
            .expect("end"),
        1
    );
    let row = store
        .session_by_hash(&[3; 32])
        .expect("read")
        .expect("kept");
    assert_eq!(row.ended, Some((1_040, EndReason::SettingsChanged)));

    let events: Vec<String> = store
        .audit(20, None)
        .expect("audit")
        .0
        .into_iter()
        .map(|e| e.event.as_str().to_owned())
        .collect();
    assert_eq!(
        events,
        [
            "sessions_ended_by_settings",
            "other_sessions_revoked",
            "sign_out",
            "sign_in",
            "sign_in",
            "sign_in"
        ]
    );

    // Each is kept for as long after its end as it lasted (100 s); traded tokens until
    // they expire.
    assert_eq!(store.purge(1_201).expect("purge"), (0, 0));
    assert_eq!(store.purge(1_202).expect("purge"), (1, 0));
    assert!(store.session_by_hash(&[1; 32]).expect("read").is_none());
    assert!(store.session_by_hash(&[3; 32]).expect("read").is_some());
    assert_eq!(store.purge(1_602).expect("purge"), (2, 1));
}
