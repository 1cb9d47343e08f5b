package io.eventgate.server.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.awaitility.Awaitility;

/**
 * A client that sends its request and then never reads: the socket buffers fill up, then the gateway's queue for the
 * connection, until the byte cap closes it as a slow consumer and the close, which it never reads either, times out.
 */
public final class StalledClient implements AutoCloseable {
    private final Socket socket = new Socket();

    /** Connects with a 4 KiB receive buffer and sends {@code requestHead} (request line and headers, CRLF-ended). */
    public StalledClient(int port, String requestHead) throws IOException {
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        socket.getOutputStream().write((requestHead + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Publishes events of 60 KB to {@code channel} until {@code user} has no connection left on {@code gateway} (at
     * most 200, 12 MB: more than the socket buffers and GATEWAY_MAX_PENDING_BYTES hold), then waits for it to go.
     */
    public static void floodUntilClosed(TestGateway gateway, String user, String channel) {
        String pad = "x".repeat(60_000);
        for (int i = 0; i < 200 && !gateway.server().gateway().hub().connectionsOf(user).isEmpty(); i++) {
            gateway.publish(channel, "{\"type\":\"blob\",\"pad\":\"" + pad + "\"}");
        }
        Awaitility.await().atMost(WsClient.TIMEOUT.multipliedBy(2))
                .until(() -> gateway.server().gateway().hub().connectionsOf(user).isEmpty());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
