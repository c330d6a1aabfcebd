-- Care needs from the manifest (issue 11): diet, faith and medicine, each a
-- task for the group that meets it; a task ticked off is kept with who and when.
ALTER TABLE quarantined ADD COLUMN dietary TEXT;
ALTER TABLE quarantined ADD COLUMN religion TEXT;
ALTER TABLE quarantined ADD COLUMN medical TEXT;

CREATE TABLE care_done (
    person_id INTEGER NOT NULL REFERENCES quarantined(id),
    kind      TEXT NOT NULL CHECK (kind IN ('meals','faith','medical','language')),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    PRIMARY KEY (person_id, kind)
);
