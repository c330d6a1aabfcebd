-- City scale (ten million residents): what the resident lists, the tree and
-- the import need so that no page counts or sorts millions of rows.
--
-- residents.path is the household's path, kept beside the resident so that a
-- scope or place filter and keyset paging read one index, (path, id), in order.
--
-- The table is made again so that the ID number's uniqueness is a named index
-- (not part of the table), which the first import of a roll into an empty
-- table drops and builds again at the end, with one sort.
CREATE TABLE residents_new (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES places(id),
    name         TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    sex          TEXT NOT NULL CHECK (sex IN ('male','female')),
    phone        TEXT,
    tags         TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT ''
);
INSERT INTO residents_new (id, household_id, name, id_number, birth_date, sex, phone, tags, path)
    SELECT r.id, r.household_id, r.name, r.id_number, r.birth_date, r.sex, r.phone, r.tags,
           (SELECT p.path FROM places p WHERE p.id = r.household_id)
    FROM residents r;
DROP TABLE residents;
ALTER TABLE residents_new RENAME TO residents;
CREATE UNIQUE INDEX residents_id_number ON residents(id_number);
CREATE INDEX residents_household ON residents(household_id);
CREATE INDEX residents_path ON residents(path, id);

-- One row per special group of a resident, in (tag, path, resident) order, so
-- that a tag filter within a scope is an index range read in list order.
CREATE TABLE resident_tags (
    tag         TEXT NOT NULL CHECK (tag IN ('elderly-alone','dialysis','pregnant','disabled','chronic-illness','infant')),
    path        TEXT NOT NULL,
    resident_id INTEGER NOT NULL REFERENCES residents(id),
    PRIMARY KEY (tag, path, resident_id)
);
CREATE INDEX resident_tags_resident ON resident_tags(resident_id);
INSERT INTO resident_tags (tag, path, resident_id) SELECT 'elderly-alone', path, id FROM residents WHERE tags LIKE '%elderly-alone%';
INSERT INTO resident_tags (tag, path, resident_id) SELECT 'dialysis', path, id FROM residents WHERE tags LIKE '%dialysis%';
INSERT INTO resident_tags (tag, path, resident_id) SELECT 'pregnant', path, id FROM residents WHERE tags LIKE '%pregnant%';
INSERT INTO resident_tags (tag, path, resident_id) SELECT 'disabled', path, id FROM residents WHERE tags LIKE '%disabled%';
INSERT INTO resident_tags (tag, path, resident_id) SELECT 'chronic-illness', path, id FROM residents WHERE tags LIKE '%chronic-illness%';
INSERT INTO resident_tags (tag, path, resident_id) SELECT 'infant', path, id FROM residents WHERE tags LIKE '%infant%';

-- How many residents live in a place and below it, kept by the import for
-- every place (a street has hundreds of thousands; a page of buildings reads
-- their counts, not a range of the residents each).
ALTER TABLE places ADD COLUMN residents INTEGER NOT NULL DEFAULT 0;
UPDATE places SET residents = (SELECT COUNT(*) FROM residents r WHERE r.path >= places.path AND r.path < places.path || '~');

-- A name search matches the start of a name (a surname, a whole name) and
-- pages by (name, id); names compare byte-wise, as the prefix range needs.
CREATE INDEX residents_name ON residents(name, id);
