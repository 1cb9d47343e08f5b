-- eventgate durable state: connection lifecycle, resumable sessions with their subscriptions, and the
-- per-user pending (unacknowledged) events of owner channels.
--
-- Every write the gateway makes is idempotent (INSERT ... ON CONFLICT, UPDATE to a fixed value or GREATEST),
-- because a batch whose COMMIT outcome was lost with the connection is retried as a whole.

-- One row per WebSocket connection, written when it opens and updated when it closes. last_activity is
-- refreshed in batches (at most once per heartbeat per connection); a CONNECTED row whose last_activity is
-- older than the stale threshold (its node died) is marked STALE by the housekeeping sweep.
CREATE TABLE websocket_connections (
    connection_id   TEXT        PRIMARY KEY,
    session_id      TEXT        NOT NULL,
    user_id         TEXT        NOT NULL,
    node_id         TEXT,
    status          TEXT        NOT NULL DEFAULT 'CONNECTED'
                                CHECK (status IN ('CONNECTED', 'DISCONNECTED', 'STALE')),
    remote_address  TEXT,
    user_agent      TEXT,
    connected_at    TIMESTAMPTZ NOT NULL,
    disconnected_at TIMESTAMPTZ,
    last_activity   TIMESTAMPTZ NOT NULL,
    close_code      INTEGER
);

-- The stale sweep: CONNECTED rows by last_activity.
CREATE INDEX websocket_connections_status_activity ON websocket_connections (status, last_activity);
CREATE INDEX websocket_connections_user ON websocket_connections (user_id);
CREATE INDEX websocket_connections_session ON websocket_connections (session_id);

-- A resumable session: its user and when its snapshot was last saved. A session is resumable while
-- saved_at is within the session TTL; the sweep deletes older ones (their subscriptions cascade).
CREATE TABLE websocket_sessions (
    session_id TEXT        PRIMARY KEY,
    user_id    TEXT        NOT NULL,
    saved_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX websocket_sessions_saved_at ON websocket_sessions (saved_at);

-- The subscriptions of a session with the stream position it had reached on each channel. A save replaces
-- the whole set (only when that save's saved_at is the session's current one, so a delayed older snapshot
-- never overwrites a newer one).
--   events           JSON array of included event types; NULL means every type
--   excluded_events  JSON array of types excluded from "every type"; NULL or [] when none
--   filters          the filter as accepted (EventFilter JSON); NULL when none
--   seq / epoch      last seq seen on the channel and its epoch (epoch NULL when none seen)
--   ordinal          position in the session's subscription list (restored in that order)
CREATE TABLE websocket_subscriptions (
    session_id      TEXT        NOT NULL REFERENCES websocket_sessions (session_id) ON DELETE CASCADE,
    user_id         TEXT        NOT NULL,
    channel         TEXT        NOT NULL,
    events          JSONB,
    excluded_events JSONB,
    filters         JSONB,
    seq             BIGINT      NOT NULL DEFAULT 0,
    epoch           TEXT,
    ordinal         INTEGER     NOT NULL DEFAULT 0,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, channel)
);

-- The primary key (session_id, channel) serves lookups and replacement by session_id.
CREATE INDEX websocket_subscriptions_user ON websocket_subscriptions (user_id);

-- Unacknowledged events of owner channels (user:{sub}), kept per user until acknowledged or expired.
--
-- payload is TEXT, not JSONB, on purpose: it holds the exact UTF-8 JSON bytes the clients receive, and a
-- redelivery after a resume must send those same bytes. JSONB would re-encode the document (reorder keys,
-- drop duplicate keys, normalise whitespace and number spelling such as 1e3), so publishers' fields would no
-- longer pass through byte for byte. JSON text never contains a raw NUL, so TEXT holds any payload. The
-- pending table is never queried by payload content, so nothing is lost by not indexing it.
--
-- An acknowledgement may reach the database before the insert of its event (they travel in different
-- batches, possibly from different nodes): the ack is an upsert that creates a bare acked row (channel,
-- payload ... NULL) and the late insert then does nothing (ON CONFLICT DO NOTHING), so the ack wins. That is
-- why the event columns are nullable; a row is either acknowledged or carries its payload.
-- Acknowledged rows are kept until expires_at for that reason, then deleted by the expiry sweep.
CREATE TABLE websocket_pending_events (
    user_id      TEXT        NOT NULL,
    event_id     TEXT        NOT NULL,
    channel      TEXT,
    seq          BIGINT,
    epoch        TEXT,
    event_type   TEXT,
    payload      TEXT,
    critical     BOOLEAN     NOT NULL DEFAULT FALSE,
    published_at TIMESTAMPTZ,
    sent_at      TIMESTAMPTZ,
    acked_at     TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, event_id),
    CONSTRAINT websocket_pending_events_payload_or_ack CHECK (payload IS NOT NULL OR acked_at IS NOT NULL)
);

-- A user's unacknowledged events in delivery order (resume).
CREATE INDEX websocket_pending_events_unacked ON websocket_pending_events (user_id, channel, seq)
    WHERE acked_at IS NULL;
-- The expiry sweep.
CREATE INDEX websocket_pending_events_expires ON websocket_pending_events (expires_at);
