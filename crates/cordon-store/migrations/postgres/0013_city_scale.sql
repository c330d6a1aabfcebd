-- City scale (ten million residents): what the resident lists, the tree and
-- the import need so that no page counts or sorts millions of rows.
--
-- residents.path is the household's path, kept beside the resident so that a
-- scope or place filter and keyset paging read one index, (path, id), in order.
ALTER TABLE residents ADD COLUMN path TEXT NOT NULL DEFAULT '';
UPDATE residents SET path = (SELECT p.path FROM places p WHERE p.id = residents.household_id);
CREATE INDEX residents_path ON residents(path, id);

-- One row per special group of a resident, in (tag, path, resident) order, so
-- that a tag filter within a scope is an index range read in list order.
CREATE TABLE resident_tags (
    tag         TEXT NOT NULL CHECK (tag IN ('elderly-alone','dialysis','pregnant','disabled','chronic-illness','infant')),
    path        TEXT NOT NULL,
    resident_id BIGINT NOT NULL REFERENCES residents(id),
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
ALTER TABLE places ADD COLUMN residents BIGINT NOT NULL DEFAULT 0;
UPDATE places SET residents = (SELECT COUNT(*) FROM residents r WHERE r.path >= places.path AND r.path < places.path || '~');

-- A name search matches the start of a name (a surname, a whole name) and
-- pages by (name, id); names compare byte-wise, as the prefix range needs.
DROP INDEX residents_name;
CREATE INDEX residents_name ON residents(name COLLATE "C", id);
