-- The control status of a compound (封控 / 管控 / 防范): every change, with who
-- set it, when, from what, to what and why. The current status is the
-- latest change; a compound never set has none.
CREATE TABLE control_changes (
    id          INTEGER PRIMARY KEY,
    compound_id INTEGER NOT NULL REFERENCES places(id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    from_status TEXT CHECK (from_status IN ('sealed', 'controlled', 'precaution')),
    to_status   TEXT NOT NULL CHECK (to_status IN ('sealed', 'controlled', 'precaution')),
    reason      TEXT NOT NULL
);
CREATE INDEX control_changes_compound ON control_changes(compound_id, id);
