-- Lookups by ID number are counted per user over the last minute from the
-- audit log (every instance shares it): an index for that count.
CREATE INDEX audit_log_user_action_at ON audit_log(user_id, action, at);

-- Every webhook attempt is logged when it is claimed (in flight) and completed
-- with its outcome (done); an attempt whose worker stopped before it answered
-- is marked lost when its lease runs out and the message is claimed again.
ALTER TABLE webhook_deliveries ADD COLUMN state TEXT NOT NULL DEFAULT 'done'
    CHECK (state IN ('in-flight', 'done', 'lost'));
