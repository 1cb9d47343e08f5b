package io.eventgate.server.config;

import java.util.Objects;

/**
 * Description of one configuration key, as listed by {@link ConfigLoader#keys()} and documented in
 * {@code docs/CONFIGURATION.md}.
 *
 * @param name         the environment variable / properties key, e.g. {@code GATEWAY_PORT}; the
 *                     per-namespace keys contain the placeholder {@code <NAME>}, e.g.
 *                     {@code GATEWAY_NAMESPACE_<NAME>_VISIBILITY}
 * @param type         the accepted form and range, e.g. {@code integer 0-65535}
 * @param defaultValue the default as text, or {@code ""} when the key has no default (unset); for
 *                     namespace keys, the default of namespaces that are not configured
 * @param description  what the key does
 * @param secret       whether the value is secret (never printed or echoed in errors)
 */
public record ConfigKey(String name, String type, String defaultValue, String description, boolean secret) {
    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(defaultValue, "defaultValue");
        Objects.requireNonNull(description, "description");
    }

    /** Whether this describes a family of per-namespace keys ({@code name} contains {@code <NAME>}). */
    public boolean isNamespacePattern() {
        return name.contains("<NAME>");
    }

    /** Whether the key has a default value. */
    public boolean hasDefault() {
        return !defaultValue.isEmpty();
    }
}
