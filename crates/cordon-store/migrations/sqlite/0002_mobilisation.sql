-- Mobilisation orders and the squads they create.

CREATE TABLE squads (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ended_at   TEXT
);

CREATE TABLE orders (
    id        INTEGER PRIMARY KEY,
    unit_id   INTEGER NOT NULL REFERENCES units(id),
    people    INTEGER NOT NULL CHECK (people > 0),
    deadline  TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    state     TEXT NOT NULL CHECK (state IN ('issued','acknowledged','assembled','on-site','stood-down','declined','cancelled')),
    reason    TEXT,
    squad_id  INTEGER REFERENCES squads(id),
    issued_at TEXT NOT NULL
);
CREATE INDEX orders_unit ON orders(unit_id, state);

CREATE TABLE order_compounds (
    order_id    INTEGER NOT NULL REFERENCES orders(id),
    compound_id INTEGER NOT NULL REFERENCES places(id),
    PRIMARY KEY (order_id, compound_id)
);

-- Every step of every order: who moved it to which state, when.
CREATE TABLE order_steps (
    id       INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    state    TEXT NOT NULL CHECK (state IN ('issued','acknowledged','assembled','on-site','stood-down','declined','cancelled')),
    at       TEXT NOT NULL,
    user_id  INTEGER,
    actor    TEXT NOT NULL
);
CREATE INDEX order_steps_order ON order_steps(order_id, id);

CREATE TABLE squad_members (
    squad_id INTEGER NOT NULL REFERENCES squads(id),
    cadre_id INTEGER NOT NULL REFERENCES cadres(id),
    role     TEXT NOT NULL CHECK (role IN ('leader','secretary','member')),
    PRIMARY KEY (squad_id, cadre_id)
);

CREATE TABLE squad_postings (
    squad_id    INTEGER NOT NULL REFERENCES squads(id),
    compound_id INTEGER NOT NULL REFERENCES places(id),
    PRIMARY KEY (squad_id, compound_id)
);
CREATE INDEX squad_postings_compound ON squad_postings(compound_id);
