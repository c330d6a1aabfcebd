-- no-transaction
-- The outbox announces a compound's change of control status as well as an
-- order's step: each row is about one order or one compound. SQLite cannot
-- drop a NOT NULL, so the table is made again (its delivery log refers to
-- it by name and keeps its rows): foreign keys are off for the copy, which
-- needs its own transaction, hence no-transaction above.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE webhook_outbox_new (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id),
    event           TEXT NOT NULL,
    order_id        INTEGER REFERENCES orders(id),
    compound_id     INTEGER REFERENCES places(id),
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claim           INTEGER NOT NULL DEFAULT 0,
    leased_until    TEXT,
    delivered_at    TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    CHECK ((order_id IS NULL) <> (compound_id IS NULL))
);
INSERT INTO webhook_outbox_new (id, webhook_id, event, order_id, compound_id, payload, created_at, attempts,
    next_attempt_at, claim, leased_until, delivered_at, last_status, last_error)
    SELECT id, webhook_id, event, order_id, NULL, payload, created_at, attempts, next_attempt_at, claim,
    leased_until, delivered_at, last_status, last_error FROM webhook_outbox;
DROP TABLE webhook_outbox;
ALTER TABLE webhook_outbox_new RENAME TO webhook_outbox;
CREATE INDEX webhook_outbox_pending ON webhook_outbox(webhook_id, id) WHERE delivered_at IS NULL;
COMMIT;
PRAGMA foreign_keys = ON;
