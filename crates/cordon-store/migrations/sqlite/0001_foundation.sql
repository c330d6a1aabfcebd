-- Foundation: the administrative tree, units and cadres, residents, accounts,
-- sessions, tokens and the audit log. Enumerations are CHECKed, never free text.

CREATE TABLE places (
    id        INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES places(id),
    kind      TEXT NOT NULL CHECK (kind IN ('city','district','street','community','compound','building','entrance','household')),
    name      TEXT NOT NULL,
    path      TEXT NOT NULL DEFAULT '',
    UNIQUE (parent_id, name)
);
CREATE INDEX places_path ON places(path);
CREATE INDEX places_kind ON places(kind, name);

CREATE TABLE checkpoints (
    id          INTEGER PRIMARY KEY,
    compound_id INTEGER NOT NULL REFERENCES places(id),
    name        TEXT NOT NULL,
    UNIQUE (compound_id, name)
);

CREATE TABLE units (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    name_en TEXT NOT NULL DEFAULT ''
);

CREATE TABLE cadres (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    name         TEXT NOT NULL,
    position     TEXT NOT NULL DEFAULT '',
    party_member BOOLEAN NOT NULL,
    phone        TEXT NOT NULL,
    sex          TEXT NOT NULL CHECK (sex IN ('male','female')),
    availability TEXT NOT NULL DEFAULT 'available' CHECK (availability IN ('available','posted','unavailable')),
    UNIQUE (unit_id, phone)
);

CREATE TABLE residents (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES places(id),
    name         TEXT NOT NULL,
    id_number    TEXT NOT NULL UNIQUE,
    birth_date   TEXT NOT NULL,
    sex          TEXT NOT NULL CHECK (sex IN ('male','female')),
    phone        TEXT,
    tags         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX residents_household ON residents(household_id);
CREATE INDEX residents_name ON residents(name);

CREATE TABLE sites (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('command','organisation','unit','squad-leader','squad-member','community','site-manager','site-group')),
    scope_kind    TEXT NOT NULL CHECK (scope_kind IN ('city','place','unit','site')),
    scope_place   INTEGER REFERENCES places(id),
    scope_unit    INTEGER REFERENCES units(id),
    scope_site    INTEGER REFERENCES sites(id),
    scope_label   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX login_attempts_account ON login_attempts(account, at);
CREATE INDEX login_attempts_address ON login_attempts(address, at);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   INTEGER,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
