-- Health checks and requests of a stay (issue 11). A check is one reading of a
-- person for a local day and slot (morning, afternoon) by one source (the
-- medical group, or the person on their own page): one row each, so the same
-- check sent twice at once is one row. A fever or a symptom marks the row as
-- an alert until the medical group or the manager acknowledges it.
CREATE TABLE health_checks (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER NOT NULL REFERENCES quarantined(id),
    site_id         INTEGER NOT NULL REFERENCES sites(id),
    day             TEXT NOT NULL,
    slot            TEXT NOT NULL CHECK (slot IN ('morning','afternoon')),
    source          TEXT NOT NULL CHECK (source IN ('staff','self')),
    tenths          INTEGER NOT NULL CHECK (tenths BETWEEN 340 AND 430),
    symptoms        TEXT NOT NULL,
    alert           BOOLEAN NOT NULL,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    UNIQUE (person_id, day, slot, source)
);
CREATE INDEX health_checks_site_day ON health_checks(site_id, day);
CREATE INDEX health_checks_open_alerts ON health_checks(site_id, id) WHERE alert AND acknowledged_at IS NULL;

-- What a person asks the site for from their own page, in their words
-- (`body`). The page's form carries an id made when it was shown: the same
-- form sent twice is one request, by the unique (person, client id).
CREATE TABLE stay_requests (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES quarantined(id),
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    kind        TEXT NOT NULL CHECK (kind IN ('food','medicine','translation','other')),
    body        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open','acknowledged','done')),
    client_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    state_since TEXT NOT NULL,
    handled_by  TEXT,
    UNIQUE (person_id, client_id)
);
CREATE INDEX stay_requests_site_state ON stay_requests(site_id, state, kind);
CREATE INDEX stay_requests_person ON stay_requests(person_id, id);
