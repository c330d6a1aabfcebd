-- The street and community contacts a squad works with, and cadres' training.
CREATE TABLE liaisons (
    id       INTEGER PRIMARY KEY,
    squad_id INTEGER NOT NULL REFERENCES squads(id),
    name     TEXT NOT NULL,
    role     TEXT NOT NULL,
    phone    TEXT NOT NULL
);
CREATE INDEX liaisons_squad ON liaisons(squad_id);

CREATE TABLE trainings (
    id         INTEGER PRIMARY KEY,
    cadre_id   INTEGER NOT NULL REFERENCES cadres(id),
    course     TEXT NOT NULL,
    trained_on TEXT NOT NULL,
    UNIQUE (cadre_id, course, trained_on)
);
