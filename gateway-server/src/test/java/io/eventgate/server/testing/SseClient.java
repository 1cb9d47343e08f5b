package io.eventgate.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Server-Sent Events client on a plain socket, so tests see the response and the stream byte for byte: it parses
 * the stream the way a browser's EventSource does (fields {@code id}, {@code retry}, {@code data}; an empty line
 * dispatches) and keeps the last event id across events, as EventSource does.
 */
public final class SseClient implements AutoCloseable {
    /** One dispatched SSE event: its data, the last event id at that point, and the last retry value seen. */
    public record Message(String data, String lastEventId, int retry) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }
    }

    private static final Message END = new Message(null, null, -1);

    private final Socket socket;
    private final int status;
    private final Map<String, String> headers;
    private final String errorBody;
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    private volatile boolean ended;
    private JsonNode connected;
    private Message last;

    private SseClient(Socket socket, int status, Map<String, String> headers, String errorBody) {
        this.socket = socket;
        this.status = status;
        this.headers = headers;
        this.errorBody = errorBody;
    }

    /** Sends {@code GET pathAndQuery} with the given extra header lines and reads the response head. */
    public static SseClient open(int port, String pathAndQuery, Map<String, String> requestHeaders) {
        try {
            Socket socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout((int) WsClient.TIMEOUT.toMillis());
            StringBuilder request = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nAccept: text/event-stream\r\n");
            requestHeaders.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
            OutputStream out = socket.getOutputStream();
            out.write(request.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            String statusLine = line(in);
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), h.substring(colon + 1).trim());
            }
            if (status != 200) {
                int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
                String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                socket.close();
                return new SseClient(socket, status, headers, body);
            }
            SseClient client = new SseClient(socket, status, headers, null);
            Thread reader = new Thread(() -> client.read(in), "sse-client");
            reader.setDaemon(true);
            reader.start();
            return client;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static SseClient open(int port, String pathAndQuery) {
        return open(port, pathAndQuery, Map.of());
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed in the response head");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private void read(InputStream in) {
        StringBuilder data = null;
        String lastId = null;
        int retry = -1;
        try {
            ByteArrayOutputStream lineBytes = new ByteArrayOutputStream();
            for (int c = in.read(); c >= 0; c = in.read()) {
                synchronized (raw) {
                    raw.write(c);
                }
                if (c != '\n') {
                    lineBytes.write(c);
                    continue;
                }
                String line = lineBytes.toString(StandardCharsets.UTF_8);
                lineBytes.reset();
                if (line.isEmpty()) {
                    if (data != null) {
                        messages.add(new Message(data.toString(), lastId, retry));
                    }
                    data = null;
                } else if (line.startsWith("data:")) {
                    String value = line.substring(line.startsWith("data: ") ? 6 : 5);
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                } else if (line.startsWith("id:")) {
                    lastId = line.substring(line.startsWith("id: ") ? 4 : 3);
                } else if (line.startsWith("retry:")) {
                    retry = Integer.parseInt(line.substring(6).trim());
                }
            }
        } catch (IOException e) {
            // the socket was closed by the test or reset: the stream has ended either way
        } finally {
            ended = true;
            messages.add(END);
        }
    }

    public int status() {
        return status;
    }

    public String header(String name) {
        return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    /** The JSON body of a refused request. */
    public JsonNode errorBody() {
        try {
            return Json.MAPPER.readTree(errorBody);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + errorBody, e);
        }
    }

    /** Every byte of the stream received so far. */
    public String raw() {
        synchronized (raw) {
            return raw.toString(StandardCharsets.UTF_8);
        }
    }

    /** The next message; fails after {@link WsClient#TIMEOUT} or at the end of the stream. */
    public Message next() {
        try {
            Message m = messages.poll(WsClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("no SSE message within " + WsClient.TIMEOUT);
            }
            if (m == END) {
                messages.add(END);
                throw new AssertionError("the stream ended");
            }
            last = m;
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Skips messages until one whose JSON matches. */
    public JsonNode await(Predicate<JsonNode> predicate) {
        while (true) {
            JsonNode json = next().json();
            if ("connected".equals(json.path("type").asText()) && !json.has("eventId")) {
                connected = json;
            }
            if (predicate.test(json)) {
                return json;
            }
        }
    }

    /** The message {@link #next} (or {@link #await}) returned last. */
    public Message last() {
        return last;
    }

    /** The {@code connected} message, once {@link #await} has passed it. */
    public JsonNode connected() {
        return connected;
    }

    public JsonNode awaitType(String type) {
        return await(n -> type.equals(n.path("type").asText()) && !n.has("eventId"));
    }

    /** Waits until the server has closed the stream. */
    public void awaitEnd() {
        org.awaitility.Awaitility.await().atMost(WsClient.TIMEOUT).until(() -> ended);
    }

    public boolean ended() {
        return ended;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
