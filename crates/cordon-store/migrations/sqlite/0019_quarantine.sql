-- Centralised quarantine sites (issue 11): a site's zone and state, its rooms,
-- who works in which of its groups, the policies the command adds to the
-- presets, arrival batches and the people on their manifests.

ALTER TABLE sites ADD COLUMN zone TEXT NOT NULL DEFAULT 'Asia/Shanghai';
ALTER TABLE sites ADD COLUMN state TEXT NOT NULL DEFAULT 'standby'
    CHECK (state IN ('standby','preparing','active','terminal-disinfection','closed'));
ALTER TABLE sites ADD COLUMN created_at TEXT;

CREATE TABLE site_rooms (
    id       INTEGER PRIMARY KEY,
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    floor    INTEGER NOT NULL,
    number   TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 8),
    state    TEXT NOT NULL DEFAULT 'vacant'
             CHECK (state IN ('vacant','occupied','awaiting-disinfection','out-of-service')),
    UNIQUE (site_id, number)
);

-- A site-group account's group at its site (its site is its scope); an account of
-- that role without a row sees nothing of the site until it is put in a group.
CREATE TABLE site_members (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    grp     TEXT NOT NULL CHECK (grp IN ('information','foreign-affairs','cdc','medical','police','hotel'))
);

CREATE TABLE quarantine_policies (
    name         TEXT PRIMARY KEY,
    onsite_tests TEXT NOT NULL,
    home_tests   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE arrival_batches (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    name       TEXT NOT NULL,
    policy     TEXT NOT NULL,
    arrived_at TEXT NOT NULL,
    transport  TEXT NOT NULL,
    origin     TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (site_id, name)
);

-- One row a person of a batch, keyed by passport within it. A person is in
-- one room at most (the column); a room's beds are counted under the site's
-- write lock at check-in.
CREATE TABLE quarantined (
    id                      INTEGER PRIMARY KEY,
    batch_id                INTEGER NOT NULL REFERENCES arrival_batches(id),
    site_id                 INTEGER NOT NULL REFERENCES sites(id),
    passport                TEXT NOT NULL,
    name                    TEXT NOT NULL,
    name_latin              TEXT NOT NULL,
    nationality             TEXT NOT NULL,
    birth_date              TEXT NOT NULL,
    sex                     TEXT NOT NULL CHECK (sex IN ('male','female')),
    language                TEXT NOT NULL,
    phone                   TEXT,
    destination_province    TEXT NOT NULL,
    destination_institution TEXT NOT NULL,
    emergency_contact       TEXT,
    travel_group            TEXT,
    room_id                 INTEGER REFERENCES site_rooms(id),
    UNIQUE (batch_id, passport)
);
CREATE INDEX quarantined_site ON quarantined(site_id, id);
CREATE INDEX quarantined_room ON quarantined(room_id);

-- Every extension of a stay, with its reason: the release date is computed from them.
CREATE TABLE stay_extensions (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES quarantined(id),
    days      INTEGER NOT NULL CHECK (days BETWEEN 1 AND 21),
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL,
    user_id   INTEGER,
    actor     TEXT NOT NULL
);
CREATE INDEX stay_extensions_person ON stay_extensions(person_id);
