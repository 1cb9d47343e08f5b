package io.eventgate.core.channel;

import io.eventgate.protocol.ChannelNames;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The namespace table: configured namespaces plus the settings every other namespace gets. Immutable. */
public final class Namespaces {
    private final Map<String, NamespaceSettings> configured;
    private final NamespaceSettings fallback;
    private final ConcurrentHashMap<String, NamespaceSettings> derived = new ConcurrentHashMap<>();

    public Namespaces(Map<String, NamespaceSettings> configured, NamespaceSettings fallback) {
        this.configured = Map.copyOf(configured);
        this.fallback = fallback;
    }

    /** Built-in defaults: {@code user} owner-only with ACKs, {@code public} and {@code market} public, others private. */
    public static Namespaces defaults() {
        Duration ttl = Duration.ofMinutes(10);
        Map<String, NamespaceSettings> map = new HashMap<>();
        map.put("user", new NamespaceSettings("user", Access.OWNER, 1000, ttl, true));
        map.put("public", new NamespaceSettings("public", Access.PUBLIC, 1000, ttl, false));
        map.put("market", new NamespaceSettings("market", Access.PUBLIC, 1000, ttl, false));
        return new Namespaces(map, new NamespaceSettings("default", Access.PRIVATE, 1000, ttl, false));
    }

    public NamespaceSettings of(String namespace) {
        NamespaceSettings s = configured.get(namespace);
        if (s != null) {
            return s;
        }
        if (derived.size() > 10_000) {
            return fallback.named(namespace);
        }
        return derived.computeIfAbsent(namespace, fallback::named);
    }

    public NamespaceSettings ofChannel(String channel) {
        return of(ChannelNames.namespace(channel));
    }
}
