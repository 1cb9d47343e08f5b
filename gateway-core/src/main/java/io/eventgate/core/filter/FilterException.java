package io.eventgate.core.filter;

import java.util.Objects;

/**
 * Thrown by {@link EventFilter#parse} when a client-supplied {@code filters} value is invalid.
 *
 * <p>{@link #field()} is the JSON path of the offending input, rooted at {@code filters}, e.g.
 * {@code filters.minAmount}, {@code filters.status[1]}, {@code filters.where[2].op}, or
 * {@code filters[0].path} when the filter was given in array form. {@link #getMessage()} is a
 * human-readable description without the field name. Together they form the {@code INVALID_FIELD}
 * error frame sent to the client.
 *
 * <p>No stack trace is captured: this signals bad client input, not a programming error.
 */
public final class FilterException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * @param field   JSON path of the offending input, e.g. {@code filters.where[2].op}
     * @param message human-readable description of the problem
     */
    public FilterException(String field, String message) {
        super(message, null, false, false);
        this.field = Objects.requireNonNull(field, "field");
    }

    /** JSON path of the offending input, e.g. {@code filters.minAmount} or {@code filters.where[2].op}. */
    public String field() {
        return field;
    }

    @Override
    public String toString() {
        return "FilterException[" + field + "]: " + getMessage();
    }
}
