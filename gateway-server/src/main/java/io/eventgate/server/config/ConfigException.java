package io.eventgate.server.config;

import java.util.Objects;

/**
 * An invalid gateway configuration. The message always starts with the offending key, e.g.
 * {@code GATEWAY_PORT: expected an integer 0-65535, got "abc"}; values of secret keys are never
 * included (they appear as {@code <redacted>}).
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public ConfigException(String key, String detail) {
        super(Objects.requireNonNull(key, "key") + ": " + detail);
        this.key = key;
    }

    public ConfigException(String key, String detail, Throwable cause) {
        super(Objects.requireNonNull(key, "key") + ": " + detail, cause);
        this.key = key;
    }

    /** The configuration key the problem is about, e.g. {@code GATEWAY_PORT}. */
    public String key() {
        return key;
    }
}
