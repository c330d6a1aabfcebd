-- How many residents of each special group live in each place from the
-- compound up, kept by every residents import (`imports::residents::FORGET_TAGS`),
-- so that a tag filter's total is read, not counted over the roll per request.
CREATE TABLE place_tags (
    place_id  INTEGER NOT NULL REFERENCES places(id),
    tag       TEXT NOT NULL,
    residents INTEGER NOT NULL,
    PRIMARY KEY (place_id, tag)
);
INSERT INTO place_tags (place_id, tag, residents)
SELECT p.id, g.tag, COUNT(*) FROM places p
CROSS JOIN (SELECT DISTINCT tag FROM resident_tags) g
JOIN resident_tags t ON t.tag = g.tag AND t.path >= p.path AND t.path < substr(p.path, 1, length(p.path) - 1) || '0'
WHERE p.kind IN ('city', 'district', 'street', 'community', 'compound')
GROUP BY p.id, g.tag;
