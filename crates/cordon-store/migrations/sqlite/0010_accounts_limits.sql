-- Accounts under attack. A session row names its user, so a password change
-- can end the user's other sessions; a password is chosen by its user, or a
-- one-time password (the first admin's) that signs in once and must then be
-- replaced; failed sign-ins are cleaned by age; and a general rate limiter
-- counts hits per bucket and caller per window (the last window weighs in
-- too), in the database so that every instance shares the count.

ALTER TABLE sessions ADD COLUMN user_id INTEGER REFERENCES users(id);
-- Sessions from before name their user only inside their data.
UPDATE sessions SET user_id = CAST(json_extract(data, '$.user_id') AS INTEGER)
    WHERE json_valid(data)
      AND EXISTS (SELECT 1 FROM users u WHERE u.id = CAST(json_extract(sessions.data, '$.user_id') AS INTEGER));
CREATE INDEX sessions_user ON sessions(user_id);

ALTER TABLE users ADD COLUMN password_kind TEXT NOT NULL DEFAULT 'chosen'
    CHECK (password_kind IN ('chosen','one-time','spent'));

CREATE INDEX login_attempts_at ON login_attempts(at);

CREATE TABLE rate_hits (
    bucket       TEXT NOT NULL,
    who          TEXT NOT NULL,
    window_start TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    hits         INTEGER NOT NULL CHECK (hits > 0),
    PRIMARY KEY (bucket, who, window_start)
);
CREATE INDEX rate_hits_expiry ON rate_hits(expires_at);
