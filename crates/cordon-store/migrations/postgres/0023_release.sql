-- Release (issue 11). Each site's Ed25519 key, kept by the server, signs the
-- release certificates of its people; the verification page checks a
-- certificate's QR against the public half. One certificate a person, with
-- the code its QR carries, so a reprint is the same paper. One release a
-- person: who received them and how they travel on.
CREATE TABLE site_keys (
    site_id    BIGINT PRIMARY KEY REFERENCES sites(id),
    pkcs8      TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE release_certificates (
    person_id BIGINT PRIMARY KEY REFERENCES quarantined(id),
    site_id   BIGINT NOT NULL REFERENCES sites(id),
    number    TEXT NOT NULL UNIQUE,
    onsite_end DATE NOT NULL,
    code      TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL
);
CREATE INDEX release_certificates_site ON release_certificates(site_id);

CREATE TABLE releases (
    person_id   BIGINT PRIMARY KEY REFERENCES quarantined(id),
    site_id     BIGINT NOT NULL REFERENCES sites(id),
    released_at TIMESTAMPTZ NOT NULL,
    received_by TEXT NOT NULL,
    transport   TEXT NOT NULL,
    actor       TEXT NOT NULL
);
CREATE INDEX releases_site ON releases(site_id);
