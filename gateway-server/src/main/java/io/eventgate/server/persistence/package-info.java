/**
 * PostgreSQL implementations of the core's {@link io.eventgate.core.session.SessionStore} and
 * {@link io.eventgate.core.ack.PendingStore}.
 *
 * <p>Wiring: one {@link io.eventgate.server.persistence.Database} (pool, Flyway migration
 * {@code db/migration/V1__gateway_schema.sql}, health), then a {@link io.eventgate.server.persistence.PgSessionStore}
 * and a {@link io.eventgate.server.persistence.PgPendingStore} on it, each with its own
 * {@link io.eventgate.server.persistence.BatchWriter} thread. Close the stores first (they write what is buffered),
 * then the database. {@code sweep} and {@code expire} make round trips on the calling thread: call them from the
 * housekeeping thread, never from an event loop; everything else never blocks its caller.
 *
 * <p>Durability during an outage: a write accepted while the database is unreachable is held in a bounded buffer and
 * its future completes at once ("degraded accept", counted); it is written when the database is back and lost if the
 * process stops first. A write refused because the buffer is full fails with
 * {@link io.eventgate.core.engine.EngineUnavailableException} (the publish is answered 503).
 */
package io.eventgate.server.persistence;
