package io.eventgate.core.channel;

import java.time.Duration;

/**
 * Per-namespace policy.
 *
 * @param name the namespace ({@code user}, {@code market}, ...)
 * @param access who may subscribe
 * @param historySize events kept per channel for recovery (0 disables history)
 * @param historyTtl how long an event stays in history (zero disables history)
 * @param ackRequired whether events of this namespace are tracked until acknowledged, unless a publish says otherwise
 */
public record NamespaceSettings(String name, Access access, int historySize, Duration historyTtl, boolean ackRequired) {
    public NamespaceSettings {
        if (historySize < 0) {
            throw new IllegalArgumentException("historySize must be >= 0");
        }
        if (historyTtl == null || historyTtl.isNegative()) {
            throw new IllegalArgumentException("historyTtl must be >= 0");
        }
    }

    public boolean historyEnabled() {
        return historySize > 0 && !historyTtl.isZero();
    }

    public NamespaceSettings named(String newName) {
        return new NamespaceSettings(newName, access, historySize, historyTtl, ackRequired);
    }
}
