package io.eventgate.loadtest.publish;

/** How events enter the system under test ({@code --publish-mode}). */
public enum PublishMode {
    HTTP("http"),
    HTTP_BATCH("http-batch"),
    /** XADD to the gateway's durable Redis ingress stream ({@link RedisPublisher}). */
    REDIS_XADD("redis-xadd"),
    /** PUBLISH on the gateway's best-effort Redis ingress channel ({@link RedisPublisher}). */
    REDIS_PUBLISH("redis-publish");

    private final String id;

    PublishMode(String id) {
        this.id = id;
    }

    public boolean redis() {
        return this == REDIS_XADD || this == REDIS_PUBLISH;
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
        throw new IllegalArgumentException("--publish-mode: expected http, http-batch, redis-xadd or redis-publish,"
                + " got \"" + s + "\"");
    }
}
