package io.eventgate.server.config;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of one channel namespace (the part of a channel name before {@code :}).
 *
 * @param name         namespace name, 1-32 characters of {@code [a-z0-9_-]}; {@code default} for
 *                     {@link GatewayConfig#defaultNamespace()}
 * @param visibility   who may subscribe
 * @param historySize  events kept per channel for recovery, 0-1,000,000; 0 disables history
 * @param historyTtl   how long events are kept; {@link Duration#ZERO} disables history
 * @param ackRequired  whether clients must acknowledge events
 */
public record NamespaceConfig(String name, Visibility visibility, int historySize, Duration historyTtl,
                              boolean ackRequired) {

    /** Name of {@link GatewayConfig#defaultNamespace()}. */
    public static final String DEFAULT_NAME = "default";
    public static final int MAX_HISTORY_SIZE = 1_000_000;

    private static final Pattern NAME = Pattern.compile("[a-z0-9_-]{1,32}");

    public NamespaceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(visibility, "visibility");
        Objects.requireNonNull(historyTtl, "historyTtl");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("namespace name must be 1-32 characters of [a-z0-9_-], got \"" + name + "\"");
        }
        if (historySize < 0 || historySize > MAX_HISTORY_SIZE) {
            throw new IllegalArgumentException("historySize must be 0-" + MAX_HISTORY_SIZE + ", got " + historySize);
        }
        if (historyTtl.isNegative()) {
            throw new IllegalArgumentException("historyTtl must not be negative, got " + historyTtl);
        }
    }

    /** Whether {@code name} is a valid namespace name ({@code [a-z0-9_-]{1,32}}). */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Whether events are kept for recovery (both size and TTL are non-zero). */
    public boolean historyEnabled() {
        return historySize > 0 && !historyTtl.isZero();
    }

    /** A copy with another name. */
    public NamespaceConfig withName(String newName) {
        return new NamespaceConfig(newName, visibility, historySize, historyTtl, ackRequired);
    }

    NamespaceConfig withVisibility(Visibility v) {
        return new NamespaceConfig(name, v, historySize, historyTtl, ackRequired);
    }

    NamespaceConfig withHistorySize(int size) {
        return new NamespaceConfig(name, visibility, size, historyTtl, ackRequired);
    }

    NamespaceConfig withHistoryTtl(Duration ttl) {
        return new NamespaceConfig(name, visibility, historySize, ttl, ackRequired);
    }

    NamespaceConfig withAckRequired(boolean ack) {
        return new NamespaceConfig(name, visibility, historySize, historyTtl, ack);
    }
}
