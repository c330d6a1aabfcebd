-- Outbound webhooks configured by the command, the outbox of announcements
-- written in the same transaction as the order step they announce, and the log
-- of every delivery attempt.

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('wecom','dingtalk','feishu','json')),
    url        TEXT NOT NULL,
    secret     TEXT,
    enabled    BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    -- A deleted webhook keeps its log; its undelivered announcements are never sent.
    deleted_at TEXT
);

CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id),
    event           TEXT NOT NULL,
    order_id        INTEGER NOT NULL REFERENCES orders(id),
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    -- Bumped by every claim: a worker owns a row only if its claim still matches.
    claim           INTEGER NOT NULL DEFAULT 0,
    leased_until    TEXT,
    delivered_at    TEXT,
    last_status     INTEGER,
    last_error      TEXT
);
-- The head of each webhook's queue: its oldest undelivered row.
CREATE INDEX webhook_outbox_pending ON webhook_outbox(webhook_id, id) WHERE delivered_at IS NULL;

CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES webhook_outbox(id),
    webhook_id  INTEGER NOT NULL REFERENCES webhooks(id),
    at          TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    ok          BOOLEAN NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
);
