package io.eventgate.server.config;

/** Log output format ({@code GATEWAY_LOG_FORMAT}). */
public enum LogFormat {
    /** Human-readable lines. */
    TEXT,
    /** One JSON object per line. */
    JSON
}
