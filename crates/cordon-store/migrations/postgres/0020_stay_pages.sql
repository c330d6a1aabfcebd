-- A person's own page (issue 11): opened from the QR on their room's card,
-- without signing in, by a secret token given at check-in. Kept in the clear,
-- like a notice board's token, so that a lost card can be printed again.
ALTER TABLE quarantined ADD COLUMN page_token TEXT;
CREATE UNIQUE INDEX quarantined_page_token ON quarantined (page_token);
-- When the person was first given a room: a person who has left (a transfer,
-- a release) has no room again but is never checked in again.
ALTER TABLE quarantined ADD COLUMN checked_in_at TIMESTAMPTZ;
