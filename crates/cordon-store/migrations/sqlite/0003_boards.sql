-- The public page of a compound, reached from the QR code of its notice
-- boards by an unguessable token rather than by its id.
CREATE TABLE compound_pages (
    compound_id INTEGER PRIMARY KEY REFERENCES places(id),
    token       TEXT NOT NULL UNIQUE
);
