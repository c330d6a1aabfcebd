-- Uploads on the page run as jobs kept here, so that a reload (or another
-- instance) shows the same job: its state, how far it has come, and how it
-- ended. `instance` names the process that runs it; a job still `running`
-- whose process is gone ended with that process, and nothing of it was written.

CREATE TABLE import_jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('places','residents','cadres')),
    file_name    TEXT NOT NULL,
    user_id      INTEGER REFERENCES users(id),
    instance     TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('running','done','rejected','refused','failed')),
    rows_checked INTEGER NOT NULL DEFAULT 0,
    rows_written INTEGER NOT NULL DEFAULT 0,
    bytes_done   INTEGER NOT NULL DEFAULT 0,
    bytes_total  INTEGER NOT NULL DEFAULT 0,
    imported     INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    -- A rejected file: how many bad cells, and the full report kept for the user.
    bad_cells    INTEGER NOT NULL DEFAULT 0,
    report_id    INTEGER REFERENCES import_reports(id) ON DELETE SET NULL,
    -- A refused file (unreadable, too large, being imported already): the refusal, as kept.
    refusal      TEXT,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX import_jobs_user ON import_jobs(user_id, id);
