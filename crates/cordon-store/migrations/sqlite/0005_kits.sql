-- Kits (防疫战斗包): items per person, and the ledger of what was handed to
-- whom. Corrections are new entries that reverse old ones; nothing is edited.
CREATE TABLE kit_items (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    name_en    TEXT NOT NULL DEFAULT '',
    per_person INTEGER NOT NULL CHECK (per_person > 0)
);

CREATE TABLE kit_ledger (
    id       INTEGER PRIMARY KEY,
    squad_id INTEGER NOT NULL REFERENCES squads(id),
    cadre_id INTEGER NOT NULL REFERENCES cadres(id),
    item_id  INTEGER NOT NULL REFERENCES kit_items(id),
    quantity INTEGER NOT NULL CHECK (quantity <> 0),
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    reverses INTEGER UNIQUE REFERENCES kit_ledger(id)
);
CREATE INDEX kit_ledger_squad ON kit_ledger(squad_id);
