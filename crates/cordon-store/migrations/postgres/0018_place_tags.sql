-- How many residents of each special group live in each place from the
-- compound up, kept by every residents import (`imports::residents::FORGET_TAGS`),
-- so that a tag filter's total is read, not counted over the roll per request.
CREATE TABLE place_tags (
    place_id  BIGINT NOT NULL REFERENCES places(id),
    tag       TEXT NOT NULL,
    residents BIGINT NOT NULL,
    PRIMARY KEY (place_id, tag)
);
INSERT INTO place_tags (place_id, tag, residents)
SELECT CAST(a.id AS BIGINT), t.tag, COUNT(*) FROM resident_tags t
CROSS JOIN LATERAL (SELECT string_to_array(trim(BOTH '/' FROM t.path), '/') AS ids) x
CROSS JOIN LATERAL unnest(x.ids[1:cardinality(x.ids) - 3]) AS a(id)
GROUP BY 1, 2;
