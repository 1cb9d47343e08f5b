package io.eventgate.loadtest.publish;

/** How events enter the system under test ({@code --publish-mode}). */
public enum PublishMode {
    HTTP("http"),
    HTTP_BATCH("http-batch"),
    /** XADD to the gateway's durable Redis ingress stream ({@link RedisPublisher}). */
    REDIS_XADD("redis-xadd"),
    /** PUBLISH on the gateway's best-effort Redis ingress channel ({@link RedisPublisher}). */
    REDIS_PUBLISH("redis-publish"),
    /**
     * Both ways at once ({@link SplitPublisher}): the events of every other route (user, channel) as one POST each,
     * the others XADDed to the Redis ingress stream, so each stream keeps one path and its order.
     */
    MIXED("mixed");

    private final String id;

    PublishMode(String id) {
        this.id = id;
    }

    /** Whether some events go through the gateway's Redis ingress (the run then prepares a Redis prefix). */
    public boolean redis() {
        return this == REDIS_XADD || this == REDIS_PUBLISH || this == MIXED;
    }

    public String id() {
        return id;
    }

    public static PublishMode parse(String s) {
        for (PublishMode m : values()) {
            if (m.id.equalsIgnoreCase(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("--publish-mode: expected http, http-batch, redis-xadd, redis-publish or"
                + " mixed, got \"" + s + "\"");
    }
}
