-- Transactional outbox: an application inserts events inside its own transaction; the gateway publishes each
-- committed row once and marks it done. Rows of a rolled-back transaction never become visible, so they are never
-- published. See docs/SCALING.md ("PostgreSQL outbox") for the insert and trigger examples.
CREATE TABLE gateway_outbox (
    id           BIGSERIAL PRIMARY KEY,
    channel      TEXT        NOT NULL,
    event        JSONB       NOT NULL,
    ack          BOOLEAN,                            -- null: the namespace default
    critical     BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ,                        -- set when published (same transaction as the claim)
    attempts     INTEGER     NOT NULL DEFAULT 0,
    error        TEXT                                -- set when the row can never be published (invalid)
);

-- The poller's query: unpublished, valid rows in id order.
CREATE INDEX gateway_outbox_todo ON gateway_outbox (id) WHERE published_at IS NULL AND error IS NULL;

-- Wake the gateways on commit (NOTIFY is delivered only when the inserting transaction commits).
CREATE FUNCTION gateway_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER gateway_outbox_notify AFTER INSERT ON gateway_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_outbox_notify();
