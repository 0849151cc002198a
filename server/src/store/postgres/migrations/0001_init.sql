-- The schema SQLite reaches after its three migrations, in PostgreSQL's types.
CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    updated_at TEXT
);
INSERT INTO settings (id, version) VALUES (1, 0);
CREATE TABLE setting_values (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    fields TEXT NOT NULL,
    version BIGINT NOT NULL,
    event TEXT NOT NULL DEFAULT 'settings_changed',
    actor_id TEXT,
    target TEXT
);
CREATE TABLE setup_token (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sha256 BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    id_hash BYTEA NOT NULL UNIQUE,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    display TEXT NOT NULL,
    info TEXT NOT NULL,
    id_token TEXT,
    signed_in_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    ended_at BIGINT,
    end_reason TEXT
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE TABLE used_id_tokens (
    sha256 BYTEA PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
