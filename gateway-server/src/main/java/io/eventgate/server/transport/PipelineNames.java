package io.eventgate.server.transport;

/**
 * Every handler name in the pipeline, in order.
 *
 * <pre>
 * before the upgrade:  http-codec -> http-aggregator -> http-router
 * after the upgrade:   wsdecoder -> wsencoder -> ws-session
 * an SSE stream:       sse-session  (the HTTP handlers leave once the response headers are written)
 * </pre>
 * ({@code wsdecoder}/{@code wsencoder} are the names Netty's handshaker gives its codec.)
 */
public final class PipelineNames {
    public static final String HTTP_CODEC = "http-codec";
    public static final String HTTP_AGGREGATOR = "http-aggregator";
    public static final String HTTP_ROUTER = "http-router";
    public static final String WS_SESSION = "ws-session";
    public static final String SSE_SESSION = "sse-session";

    private PipelineNames() {}
}
