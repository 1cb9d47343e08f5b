package io.eventgate.core.channel;

import io.eventgate.core.auth.VerifiedToken;

/** Decides whether a token may subscribe to (or read the history of) a channel. */
public final class ChannelAccess {
    private final Namespaces namespaces;

    public ChannelAccess(Namespaces namespaces) {
        this.namespaces = namespaces;
    }

    public boolean canRead(VerifiedToken token, String channel) {
        NamespaceSettings settings = namespaces.ofChannel(channel);
        return switch (settings.access()) {
            case PUBLIC -> true;
            case PRIVATE -> token.grants(channel);
            case OWNER -> channel.equals(settings.name() + ":" + token.userId()) || token.grants(channel);
        };
    }

    public Namespaces namespaces() {
        return namespaces;
    }
}
