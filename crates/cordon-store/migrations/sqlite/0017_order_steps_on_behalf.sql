-- 报到 is the squad's own tap (its leader or branch secretary); a unit's
-- coordinator or the command may report for the squad, and the order's
-- history must say so for as long as it is kept, whatever becomes of the
-- account later: the step records it when it is taken.
ALTER TABLE order_steps ADD COLUMN on_behalf BOOLEAN NOT NULL DEFAULT FALSE;
