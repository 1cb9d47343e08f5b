package io.eventgate.server.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.Gateway;
import io.eventgate.core.GatewayStats;
import io.eventgate.core.engine.EngineUnavailableException;
import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.protocol.ChannelNames;
import io.eventgate.protocol.ClientMessageDecoder;
import io.eventgate.protocol.CloseCode;
import io.eventgate.protocol.ErrorCode;
import io.eventgate.protocol.EventEncoder;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.ProtocolException;
import io.eventgate.protocol.ServerMessages;
import io.eventgate.server.transport.HttpResponses;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API: publishing, administration, stats and health. Runs on the event loop; nothing here blocks
 * (engines complete publishes asynchronously; the response is written when the future completes).
 */
public final class RestApi {
    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);
    public static final int MAX_BATCH_ITEMS = 1000;
    public static final int MAX_BROADCAST_CHANNELS = 1000;
    private static final String USERS_PREFIX = "/api/v1/users/";
    private static final String CONNECTIONS_SUFFIX = "/connections";

    private final Gateway gateway;
    private final byte[] apiKey;
    private final BooleanSupplier draining;
    private final List<HealthComponent> components;
    private final Map<String, Supplier<Map<String, Object>>> statsSources = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final io.eventgate.core.auth.TokenVerifier verifier;
    public static final int MAX_HISTORY_LIMIT = 1000;
    private static final String HISTORY_PREFIX = "/api/v1/history/";

    /** A component that readiness reports on (engine, database, ...). */
    public interface HealthComponent {
        String name();

        boolean up();

        String detail();
    }

    public RestApi(Gateway gateway, String apiKey, io.eventgate.core.auth.TokenVerifier verifier,
                   BooleanSupplier draining, List<HealthComponent> components) {
        this.gateway = gateway;
        this.verifier = verifier;
        this.apiKey = apiKey.getBytes(StandardCharsets.UTF_8);
        this.draining = draining;
        this.components = List.copyOf(components);
    }

    public void handle(ChannelHandlerContext ctx, FullHttpRequest request, String path, QueryStringDecoder query,
                       boolean keepAlive) {
        HttpMethod method = request.method();
        switch (path) {
            case "/health/live" -> {
                if (allow(ctx, keepAlive, method, HttpMethod.GET)) {
                    HttpResponses.json(ctx, keepAlive, HttpResponseStatus.OK, "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8));
                }
            }
            case "/health/ready" -> {
                if (allow(ctx, keepAlive, method, HttpMethod.GET)) {
                    ready(ctx, keepAlive);
                }
            }
            case "/api/v1/publish" -> {
                if (allow(ctx, keepAlive, method, HttpMethod.POST) && authorized(ctx, request, keepAlive)) {
                    publish(ctx, request, keepAlive);
                }
            }
            case "/api/v1/publish/batch" -> {
                if (allow(ctx, keepAlive, method, HttpMethod.POST) && authorized(ctx, request, keepAlive)) {
                    batch(ctx, request, keepAlive);
                }
            }
            case "/api/v1/broadcast" -> {
                if (allow(ctx, keepAlive, method, HttpMethod.POST) && authorized(ctx, request, keepAlive)) {
                    broadcast(ctx, request, keepAlive);
                }
            }
            case "/api/v1/ws/stats" -> {
                if (allow(ctx, keepAlive, method, HttpMethod.GET) && authorized(ctx, request, keepAlive)) {
                    stats(ctx, keepAlive);
                }
            }
            default -> {
                if (path.startsWith(HISTORY_PREFIX) && path.length() > HISTORY_PREFIX.length()) {
                    if (allow(ctx, keepAlive, method, HttpMethod.GET)) {
                        history(ctx, request,
                                path.substring(HISTORY_PREFIX.length()), query,
                                keepAlive);
                    }
                } else if (path.startsWith(USERS_PREFIX) && path.endsWith(CONNECTIONS_SUFFIX)
                        && path.length() > USERS_PREFIX.length() + CONNECTIONS_SUFFIX.length()) {
                    // QueryStringDecoder.path() is already percent-decoded.
                    String userId = path.substring(USERS_PREFIX.length(), path.length() - CONNECTIONS_SUFFIX.length());
                    if (allow(ctx, keepAlive, method, HttpMethod.DELETE) && authorized(ctx, request, keepAlive)) {
                        disconnect(ctx, userId, keepAlive);
                    }
                } else {
                    HttpResponses.error(ctx, keepAlive, ErrorCode.NOT_FOUND, "no route for " + truncate(path));
                }
            }
        }
    }

    private boolean allow(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method, HttpMethod expected) {
        if (method.equals(expected)) {
            return true;
        }
        HttpResponses.methodNotAllowed(ctx, keepAlive, expected.name(), "use " + expected.name());
        return false;
    }

    /** Constant-time comparison of the {@code X-API-Key} header. */
    private boolean authorized(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        String given = request.headers().get("X-API-Key");
        if (given != null && MessageDigest.isEqual(apiKey, given.getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        gateway.stats().authFailures.increment();
        HttpResponses.error(ctx, keepAlive, ErrorCode.UNAUTHORIZED,
                given == null ? "missing X-API-Key header" : "invalid API key");
        return false;
    }

    private JsonNode body(FullHttpRequest request) throws ProtocolException {
        if (request.content().readableBytes() == 0) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "request body must be a JSON object");
        }
        try {
            JsonNode node = Json.MAPPER.readTree((java.io.InputStream) new ByteBufInputStream(request.content()));
            if (node == null || !node.isObject()) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, "request body must be a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "malformed JSON: "
                    + truncate(String.valueOf(e.getOriginalMessage())));
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "malformed JSON");
        }
    }

    /** One publish item: {@code channel} or {@code user}, {@code event}, optional {@code ack} and {@code critical}. */
    private record Item(String channel, ObjectNode event, PublishOptions options) {}

    private static Item item(JsonNode node, String prefix) throws ProtocolException {
        if (!node.isObject()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + prefix + "' must be a JSON object");
        }
        String p = prefix.isEmpty() ? "" : prefix + ".";
        JsonNode channelNode = node.get("channel");
        JsonNode userNode = node.get("user");
        String channel;
        if (channelNode != null && userNode != null) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "give either '" + p + "channel' or '" + p + "user', not both");
        } else if (channelNode != null) {
            if (!channelNode.isTextual()) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + p + "channel' must be a string");
            }
            channel = channelNode.textValue();
        } else if (userNode != null) {
            if (!userNode.isTextual() && !userNode.isIntegralNumber() || userNode.asText().isEmpty()) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + p + "user' must be a non-empty string");
            }
            channel = ChannelNames.userChannel(userNode.asText());
        } else {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + p + "channel' (or '" + p + "user') is required");
        }
        String problem = ChannelNames.problem(channel);
        if (problem != null) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + p + (channelNode != null ? "channel" : "user")
                    + "': " + problem);
        }
        ObjectNode event = ClientMessageDecoder.requireEvent(node.get("event"), p + "event");
        return new Item(channel, event, options(node, p));
    }

    private static PublishOptions options(JsonNode node, String p) throws ProtocolException {
        JsonNode ack = node.get("ack");
        if (ack != null && !ack.isNull() && !ack.isBoolean()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + p + "ack' must be a boolean");
        }
        JsonNode critical = node.get("critical");
        if (critical != null && !critical.isNull() && !critical.isBoolean()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + p + "critical' must be a boolean");
        }
        return new PublishOptions(ack == null || ack.isNull() ? null : ack.booleanValue(),
                critical != null && critical.booleanValue());
    }

    private void publish(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        Item item;
        try {
            item = item(body(request), "");
        } catch (ProtocolException e) {
            HttpResponses.error(ctx, keepAlive, e.code(), e.getMessage());
            return;
        }
        if (unavailable(ctx, keepAlive)) {
            return;
        }
        CompletableFuture<Event> future;
        try {
            future = gateway.publish(item.channel(), item.event(), item.options());
        } catch (ProtocolException e) {
            HttpResponses.error(ctx, keepAlive, e.code(), e.getMessage());
            return;
        }
        future.whenComplete((event, error) -> {
            if (error != null) {
                failed(ctx, keepAlive, error);
            } else {
                HttpResponses.json(ctx, keepAlive, HttpResponseStatus.OK, ServerMessages.bytes(result(event)));
            }
        });
    }

    private void batch(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        List<Item> items = new ArrayList<>();
        try {
            JsonNode array = array(body(request), "items", "a non-empty array", MAX_BATCH_ITEMS);
            for (int i = 0; i < array.size(); i++) {
                items.add(item(array.get(i), "items[" + i + "]"));
            }
        } catch (ProtocolException e) {
            HttpResponses.error(ctx, keepAlive, e.code(), e.getMessage());
            return;
        }
        if (unavailable(ctx, keepAlive)) {
            return;
        }
        List<CompletableFuture<Event>> futures = new ArrayList<>(items.size());
        for (Item item : items) {
            futures.add(publishQuietly(item.channel(), item.event(), item.options()));
        }
        respondAll(ctx, keepAlive, futures);
    }

    private void broadcast(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        List<String> channels = new ArrayList<>();
        ObjectNode event;
        PublishOptions options;
        try {
            JsonNode body = body(request);
            JsonNode array = array(body, "channels", "a non-empty array of strings", MAX_BROADCAST_CHANNELS);
            for (int i = 0; i < array.size(); i++) {
                JsonNode c = array.get(i);
                String problem = c.isTextual() ? ChannelNames.problem(c.textValue()) : "must be a string";
                if (problem != null) {
                    throw new ProtocolException(ErrorCode.INVALID_FIELD, "'channels[" + i + "]': " + problem);
                }
                if (!channels.contains(c.textValue())) {
                    channels.add(c.textValue());
                }
            }
            event = ClientMessageDecoder.requireEvent(body.get("event"), "event");
            options = options(body, "");
        } catch (ProtocolException e) {
            HttpResponses.error(ctx, keepAlive, e.code(), e.getMessage());
            return;
        }
        if (unavailable(ctx, keepAlive)) {
            return;
        }
        // One event to several channels: every copy carries the same eventId, so a client subscribed to several of
        // the channels deduplicates it.
        if (EventEncoder.eventId(event) == null) {
            event.put("eventId", EventEncoder.newEventId(gateway.now()));
        }
        List<CompletableFuture<Event>> futures = new ArrayList<>(channels.size());
        for (String channel : channels) {
            futures.add(publishQuietly(channel, event.deepCopy(), options));
        }
        respondAll(ctx, keepAlive, futures);
    }

    /** The non-empty array {@code body.field} of at most {@code max} entries ({@code what} says what it must be). */
    private static JsonNode array(JsonNode body, String field, String what, int max) throws ProtocolException {
        JsonNode array = body.get(field);
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + field + "' must be " + what);
        }
        if (array.size() > max) {
            throw new ProtocolException(ErrorCode.LIMIT_EXCEEDED, "'" + field + "' has more than " + max + " entries");
        }
        return array;
    }

    private CompletableFuture<Event> publishQuietly(String channel, ObjectNode event, PublishOptions options) {
        try {
            return gateway.publish(channel, event, options);
        } catch (ProtocolException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** 200 when every publish succeeded; otherwise 503 with per-item results saying which did. */
    private void respondAll(ChannelHandlerContext ctx, boolean keepAlive, List<CompletableFuture<Event>> futures) {
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).whenComplete((ignored, anyError) -> {
            ObjectNode body = Json.MAPPER.createObjectNode();
            ArrayNode results = body.putArray("results");
            int failed = 0;
            for (CompletableFuture<Event> f : futures) {
                if (f.isCompletedExceptionally()) {
                    failed++;
                    ObjectNode r = results.addObject();
                    r.put("error", ErrorCode.UNAVAILABLE.name());
                    r.put("message", "not published: " + cause(f));
                } else {
                    results.add(result(f.join()));
                }
            }
            body.put("published", futures.size() - failed);
            body.put("failed", failed);
            HttpResponses.json(ctx, keepAlive, failed == 0 ? HttpResponseStatus.OK
                    : HttpResponseStatus.SERVICE_UNAVAILABLE, ServerMessages.bytes(body));
        });
    }

    private static String cause(CompletableFuture<Event> f) {
        try {
            f.join();
            return "";
        } catch (CompletionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
        }
    }

    private static ObjectNode result(Event event) {
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("eventId", event.eventId());
        r.put("channel", event.channel());
        r.put("seq", event.seq());
        r.put("epoch", event.epoch());
        return r;
    }

    private boolean unavailable(ChannelHandlerContext ctx, boolean keepAlive) {
        if (draining.getAsBoolean()) {
            HttpResponses.error(ctx, keepAlive, ErrorCode.UNAVAILABLE, "node is draining");
            return true;
        }
        if (!gateway.engine().healthy()) {
            HttpResponses.error(ctx, keepAlive, ErrorCode.UNAVAILABLE, "engine unavailable: " + gateway.engine().describe());
            return true;
        }
        return false;
    }

    private void failed(ChannelHandlerContext ctx, boolean keepAlive, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof ProtocolException p) {
            HttpResponses.error(ctx, keepAlive, p.code(), p.getMessage());
        } else if (cause instanceof EngineUnavailableException) {
            HttpResponses.error(ctx, keepAlive, ErrorCode.UNAVAILABLE, "not published: " + cause.getMessage());
        } else {
            LOG.error("publish failed", cause);
            HttpResponses.error(ctx, keepAlive, ErrorCode.INTERNAL, "not published: internal error");
        }
    }

    /**
     * {@code GET /api/v1/history/{channel}?since=<seq>&epoch=<epoch>&limit=<n>}: events with seq > since, oldest first.
     * With the API
     * key any channel; with {@code Authorization: Bearer <jwt>} the channels the token may subscribe to.
     * {@code complete:false} says history no longer holds every event after {@code since} (trimmed, or the stream's
     * epoch changed): the caller must reload state from the application.
     */
    private void history(ChannelHandlerContext ctx, FullHttpRequest request, String channel, QueryStringDecoder query,
                         boolean keepAlive) {
        String problem = ChannelNames.problem(channel);
        if (problem != null) {
            HttpResponses.error(ctx, keepAlive, ErrorCode.INVALID_FIELD, "channel: " + problem);
            return;
        }
        String key = request.headers().get("X-API-Key");
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (key == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            try {
                var token = verifier.verify(authorization.substring(7).trim());
                if (!gateway.access().canRead(token, channel)) {
                    gateway.stats().forbidden.increment();
                    HttpResponses.error(ctx, keepAlive, ErrorCode.FORBIDDEN, "not allowed to read " + channel);
                    return;
                }
            } catch (io.eventgate.core.auth.TokenException e) {
                gateway.stats().authFailures.increment();
                HttpResponses.error(ctx, keepAlive, ErrorCode.UNAUTHORIZED, e.getMessage());
                return;
            }
        } else if (!authorized(ctx, request, keepAlive)) {
            return;
        }
        long since;
        int limit;
        String epoch;
        try {
            since = longParam(query, "since", 0, 0, Long.MAX_VALUE);
            List<String> epochParam = query.parameters().get("epoch");
            epoch = epochParam == null || epochParam.isEmpty() ? null : epochParam.get(0);
            limit = (int) longParam(query, "limit", 100, 1, MAX_HISTORY_LIMIT);
        } catch (ProtocolException e) {
            HttpResponses.error(ctx, keepAlive, e.code(), e.getMessage());
            return;
        }
        gateway.engine().history(channel, since, limit).whenComplete((page, error) -> {
            if (error != null) {
                failed(ctx, keepAlive, error);
                return;
            }
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("channel", channel);
            body.put("epoch", page.epoch());
            body.put("currentSeq", page.currentSeq());
            // With the caller's epoch, a changed epoch means its position is meaningless: not complete.
            body.put("complete", page.complete() && (epoch == null || epoch.equals(page.epoch())));
            ArrayNode events = body.putArray("events");
            long last = since;
            for (Event e : page.events()) {
                events.add(e.filterBody());
                last = e.seq();
            }
            body.put("nextSince", last);
            body.put("more", last < page.currentSeq() && page.events().size() == limit);
            HttpResponses.json(ctx, keepAlive, HttpResponseStatus.OK, ServerMessages.bytes(body));
        });
    }

    private static long longParam(QueryStringDecoder query, String name, long defaultValue, long min, long max)
            throws ProtocolException {
        List<String> values = query.parameters().get(name);
        if (values == null || values.isEmpty()) {
            return defaultValue;
        }
        try {
            long v = Long.parseLong(values.get(0));
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "'" + name + "' must be an integer between " + min
                    + " and " + max);
        }
    }

    private void disconnect(ChannelHandlerContext ctx, String userId, boolean keepAlive) {
        int count = gateway.disconnectUser(userId, CloseCode.DISCONNECTED);
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("userId", userId);
        body.put("disconnected", count);
        HttpResponses.json(ctx, keepAlive, HttpResponseStatus.OK, ServerMessages.bytes(body));
    }

    private void stats(ChannelHandlerContext ctx, boolean keepAlive) {
        GatewayStats s = gateway.stats();
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("connections", gateway.hub().connectionCount());
        body.put("sseConnections", gateway.stats().sseConnections.sum());
        body.put("users", gateway.hub().userCount());
        body.put("channels", gateway.hub().channelCount());
        body.put("subscriptions", gateway.hub().subscriptionCount());
        body.put("messagesIn", s.messagesIn.sum());
        body.put("messagesOut", s.messagesOut.sum());
        body.put("eventsPublished", s.eventsPublished.sum());
        body.put("publishFailures", s.publishFailures.sum());
        body.put("uptimeSeconds", (System.currentTimeMillis() - s.startedAtMillis) / 1000);
        ObjectNode refused = body.putObject("refused");
        refused.put("authFailures", s.authFailures.sum());
        refused.put("originRefused", s.originRefused.sum());
        refused.put("rateLimited", s.rateLimited.sum());
        refused.put("rateLimitCloses", s.rateLimitCloses.sum());
        refused.put("oversizeFrames", s.oversizeFrames.sum());
        refused.put("oversizeBodies", s.oversizeBodies.sum());
        refused.put("invalidMessages", s.invalidMessages.sum());
        refused.put("forbidden", s.forbidden.sum());
        ObjectNode closes = body.putObject("closes");
        closes.put("stale", s.staleCloses.sum());
        closes.put("slowConsumer", s.slowConsumerCloses.sum());
        body.put("connectionsOpened", s.connectionsOpened.sum());
        body.put("connectionsClosed", s.connectionsClosed.sum());
        body.put("laneDrops", gateway.hub().laneDrops());
        ObjectNode delivery = body.putObject("delivery");
        delivery.put("acks", s.acks.sum());
        delivery.put("redeliveries", s.redeliveries.sum());
        delivery.put("criticalExpired", s.criticalExpired.sum());
        if (gateway.pendingStore() instanceof io.eventgate.core.ack.MemoryPendingStore memory) {
            delivery.put("pendingExpired", memory.expired());
            delivery.put("pendingEvicted", memory.evicted());
        } else if (gateway.pendingStore() instanceof io.eventgate.server.persistence.PgPendingStore pg) {
            delivery.put("pendingExpired", pg.expiredRows());
        }
        delivery.put("tokenExpiredCloses", s.tokenExpiredCloses.sum());
        delivery.put("ackTrackingExpired", s.ackTrackingExpired.sum());
        delivery.put("internalErrors", s.internalErrors.sum());
        delivery.put("streamGaps", s.streamGaps.sum());
        delivery.put("fallbacks", s.fallbacks.sum());
        delivery.put("recoveries", s.recoveries.sum());
        delivery.put("recoveryFailures", s.recoveryFailures.sum());
        delivery.put("resumeUnknown", s.resumeUnknown.sum());
        delivery.put("replayed", s.replayed.sum());
        delivery.put("secondLookRedeliveries", s.secondLookRedeliveries.sum());
        for (Map.Entry<String, Supplier<Map<String, Object>>> source : statsSources.entrySet()) {
            ObjectNode node = body.putObject(source.getKey());
            source.getValue().get().forEach((k, v) -> node.putPOJO(k, v));
        }
        HttpResponses.json(ctx, keepAlive, HttpResponseStatus.OK, ServerMessages.bytes(body));
    }

    /** Adds a named group of counters to {@code GET /api/v1/ws/stats} (database writers, outbox, Redis ingress). */
    public void addStatsSource(String name, Supplier<Map<String, Object>> counters) {
        statsSources.put(name, counters);
    }

    private void ready(ChannelHandlerContext ctx, boolean keepAlive) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        ObjectNode comps = body.putObject("components");
        boolean up = !draining.getAsBoolean();
        component(comps, "node", up, up ? "accepting connections" : "draining");
        boolean engineUp = gateway.engine().healthy();
        component(comps, "engine", engineUp, gateway.engine().describe());
        up &= engineUp;
        for (HealthComponent c : components) {
            boolean cUp = c.up();
            component(comps, c.name(), cUp, c.detail());
            up &= cUp;
        }
        body.put("status", status(up));
        HttpResponses.json(ctx, keepAlive, up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                ServerMessages.bytes(body));
    }

    private static void component(ObjectNode components, String name, boolean up, String detail) {
        ObjectNode node = components.putObject(name);
        node.put("status", status(up));
        node.put("detail", detail);
    }

    private static String status(boolean up) {
        return up ? "UP" : "DOWN";
    }

    private static String truncate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "...";
    }
}
