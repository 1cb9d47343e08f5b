/**
 * Subscription filters: {@link io.eventgate.core.filter.EventFilter} compiles a client's {@code filters}
 * value once and evaluates it against each parsed event on the delivery hot path.
 */
package io.eventgate.core.filter;
