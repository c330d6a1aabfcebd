-- Test results of a stay and the transfers positives open (issue 11). One
-- result a person a day: a result that comes again is judged against it, never
-- written over it. One transfer open (not cancelled) a person at a time.
CREATE TABLE stay_results (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES quarantined(id),
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    day        TEXT NOT NULL,
    result     TEXT NOT NULL CHECK (result IN ('negative','positive')),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    UNIQUE (person_id, day)
);
CREATE INDEX stay_results_site ON stay_results(site_id, day);

CREATE TABLE transfers (
    id             INTEGER PRIMARY KEY,
    person_id      INTEGER NOT NULL REFERENCES quarantined(id),
    site_id        INTEGER NOT NULL REFERENCES sites(id),
    state          TEXT NOT NULL CHECK (state IN ('opened','departed','handed-over','followed-up','cancelled')),
    opened_at      TEXT NOT NULL,
    state_since    TEXT NOT NULL,
    vehicle        TEXT,
    escorts        TEXT,
    departed_at    TEXT,
    handed_over_at TEXT,
    reason         TEXT
);
CREATE UNIQUE INDEX transfers_one_open ON transfers(person_id) WHERE state <> 'cancelled';
CREATE INDEX transfers_site ON transfers(site_id, id);

CREATE TABLE transfer_follow_ups (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES transfers(id),
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    note        TEXT NOT NULL,
    actor       TEXT NOT NULL
);
CREATE INDEX transfer_follow_ups_transfer ON transfer_follow_ups(transfer_id, id);
