-- Every finished import of a file (one entry in the audit log each), which is
-- also how an import of a file refuses to run beside another of the same file;
-- and the full error reports of rejected files, kept for the user who sent them.

CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('places','residents','cadres')),
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    imported    INTEGER NOT NULL CHECK (imported >= 0),
    updated     INTEGER NOT NULL CHECK (updated >= 0),
    unchanged   INTEGER NOT NULL CHECK (unchanged >= 0),
    -- None for the operator at the command line.
    user_id     INTEGER REFERENCES users(id),
    actor       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE INDEX import_runs_file ON import_runs(sha256, kind, id);

CREATE TABLE import_reports (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('places','residents','cadres')),
    file_name  TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    total      INTEGER NOT NULL CHECK (total > 0),
    created_at TEXT NOT NULL,
    -- Every bad cell as CSV: row, column, value, reason code, reason detail.
    cells      BLOB NOT NULL
);
CREATE INDEX import_reports_user ON import_reports(user_id, id);
