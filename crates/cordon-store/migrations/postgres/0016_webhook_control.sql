-- The outbox announces a compound's change of control status as well as an
-- order's step: each row is about one order or one compound.
ALTER TABLE webhook_outbox ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE webhook_outbox ADD COLUMN compound_id BIGINT REFERENCES places(id);
ALTER TABLE webhook_outbox ADD CONSTRAINT webhook_outbox_one_subject
    CHECK ((order_id IS NULL) <> (compound_id IS NULL));
