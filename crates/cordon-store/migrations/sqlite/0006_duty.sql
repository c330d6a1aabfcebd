-- Duty rosters (值守排班): a squad's shifts at the checkpoints of its
-- compounds, who stands each one, and the handover note of each shift.

CREATE TABLE shifts (
    id            INTEGER PRIMARY KEY,
    squad_id      INTEGER NOT NULL REFERENCES squads(id),
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    handover      TEXT NOT NULL DEFAULT '',
    CHECK (ends_at > starts_at),
    UNIQUE (squad_id, checkpoint_id, starts_at)
);
CREATE INDEX shifts_time ON shifts(starts_at, ends_at);
CREATE INDEX shifts_checkpoint ON shifts(checkpoint_id, starts_at);

CREATE TABLE shift_members (
    shift_id INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
    cadre_id INTEGER NOT NULL REFERENCES cadres(id),
    PRIMARY KEY (shift_id, cadre_id)
);
CREATE INDEX shift_members_cadre ON shift_members(cadre_id);

-- A field account belongs to a cadre, so a member sees their own shifts.
ALTER TABLE users ADD COLUMN cadre_id INTEGER REFERENCES cadres(id);
