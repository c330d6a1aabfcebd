-- A cadre is posted with at most one squad at a time, by a constraint rather
-- than by a check before the write: two orders assembled at the same instant
-- with the same cadre cannot both post them. A membership stays on record
-- when its squad stands down or the cadre moves on; it is then inactive.
ALTER TABLE squad_members ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE squad_members SET active = FALSE
    WHERE squad_id IN (SELECT id FROM squads WHERE ended_at IS NOT NULL);
-- Earlier races may have left a cadre in two squads: the newest keeps them.
UPDATE squad_members SET active = FALSE
    WHERE active AND EXISTS (SELECT 1 FROM squad_members m
        WHERE m.cadre_id = squad_members.cadre_id AND m.active AND m.squad_id > squad_members.squad_id);
CREATE UNIQUE INDEX squad_members_one_active ON squad_members(cadre_id) WHERE active;
