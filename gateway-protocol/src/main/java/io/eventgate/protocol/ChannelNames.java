package io.eventgate.protocol;

/**
 * Syntax of channel names: {@code namespace:name}. The namespace is 1-32 characters of {@code [a-z0-9_-]};
 * the name is 1-200 characters of {@code [A-Za-z0-9_.:@=+|-]} (no spaces, no {@code *}).
 * {@code user:{sub}} is each user's private channel.
 */
public final class ChannelNames {
    public static final String USER_NAMESPACE = "user";
    public static final int MAX_NAMESPACE_LENGTH = 32;
    public static final int MAX_NAME_LENGTH = 200;

    private ChannelNames() {}

    /** Returns null when valid, else a human reason. */
    public static String problem(String channel) {
        if (channel == null || channel.isEmpty()) {
            return "channel must be a non-empty string";
        }
        int colon = channel.indexOf(':');
        if (colon <= 0) {
            return "channel must look like namespace:name";
        }
        if (colon > MAX_NAMESPACE_LENGTH) {
            return "channel namespace longer than " + MAX_NAMESPACE_LENGTH;
        }
        for (int i = 0; i < colon; i++) {
            char c = channel.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                return "channel namespace may only contain a-z, 0-9, _ and -";
            }
        }
        int nameLength = channel.length() - colon - 1;
        if (nameLength == 0) {
            return "channel name must not be empty";
        }
        if (nameLength > MAX_NAME_LENGTH) {
            return "channel name longer than " + MAX_NAME_LENGTH;
        }
        for (int i = colon + 1; i < channel.length(); i++) {
            char c = channel.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '-' || c == '.' || c == ':' || c == '@' || c == '=' || c == '+' || c == '|')) {
                return "channel name may only contain letters, digits and _ - . : @ = + |";
            }
        }
        return null;
    }

    public static String namespace(String channel) {
        return channel.substring(0, channel.indexOf(':'));
    }

    public static String userChannel(String userId) {
        return USER_NAMESPACE + ":" + userId;
    }
}
