package io.eventgate.loadtest.publish;

/** How events enter the system under test ({@code --publish-mode}). */
public enum PublishMode {
    HTTP("http"),
    HTTP_BATCH("http-batch");
    // REDIS("redis") comes with the Redis ingress: a Publisher that LPUSHes/PUBLISHes items and reports outcomes.

    private final String id;

    PublishMode(String id) {
        this.id = id;
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
        throw new IllegalArgumentException("--publish-mode: expected http or http-batch, got \"" + s + "\"");
    }
}
