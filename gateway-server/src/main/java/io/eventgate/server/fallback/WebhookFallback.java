package io.eventgate.server.fallback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.ack.FallbackNotifier;
import io.eventgate.core.engine.Event;
import io.eventgate.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Delayed;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers critical events that could not reach their user to the application's fallback webhook (its SMS, e-mail
 * or push service), as signed HTTP POSTs.
 *
 * <h2>Threading</h2>
 * {@link #notify} never blocks: it reserves one of {@code queueCapacity} slots and enqueues the job, or drops the job
 * (counted in {@link #droppedQueueFull()}, logged at WARN at most once per 10 s) when all slots are taken. A slot is
 * held from {@code notify} until the job is finished (delivered, rejected or given up), so the capacity bounds the
 * jobs waiting, in flight and waiting to retry together, and memory stays bounded while the webhook is down. One
 * platform daemon thread, {@code eventgate-fallback}, sends jobs with the asynchronous {@link HttpClient} (connect
 * timeout 5 s, request timeout 10 s, redirects not followed), at most {@value #MAX_IN_FLIGHT} at a time. Retries
 * wait in a delay queue, so a job waiting for its backoff never holds up other jobs.
 *
 * <h2>Request</h2>
 * <pre>
 * POST &lt;GATEWAY_FALLBACK_WEBHOOK_URL&gt;
 * Content-Type: application/json
 * X-Gateway-Event-Id: &lt;eventId&gt;
 * X-Gateway-Timestamp: &lt;unix time in seconds when this attempt was signed, decimal&gt;
 * X-Gateway-Signature: sha256=&lt;lowercase hex HMAC-SHA256(key = secret as UTF-8, message = timestamp + "." + body)&gt;
 *
 * {"userId":"42","reason":"NO_CONNECTION","attempt":1,"event":{...},"eventId":"...","channel":"user:42","seq":5}
 * </pre>
 * <ul>
 *   <li>The body is UTF-8 JSON with exactly these fields in this order. {@code reason} is {@code NO_CONNECTION}
 *   (the user had no live connection when the event was published) or {@code NOT_ACKNOWLEDGED} (the event was
 *   delivered but not acknowledged within the pending TTL). {@code attempt} counts from 1 and grows with each retry
 *   of the same event; the receiver should deduplicate by {@code eventId} (and {@code userId}).</li>
 *   <li>{@code event} is the event byte for byte as clients receive it (publisher's numbers such as
 *   {@code 50000.00} unchanged).</li>
 *   <li>{@code X-Gateway-Event-Id} repeats {@code eventId}; it is left out when the id holds characters not allowed
 *   in a header (anything but printable ASCII). The body's {@code eventId} is authoritative.</li>
 * </ul>
 *
 * <h2>Verifying a request (receiver side)</h2>
 * <ol>
 *   <li>Read the raw body bytes; do not parse and re-serialize them before verifying.</li>
 *   <li>Compute {@code HMAC-SHA256(secret, X-Gateway-Timestamp + "." + rawBody)}: the header's value exactly as
 *   received, one ASCII dot, then the raw body bytes; hex-encode it in lowercase and prefix {@code sha256=}
 *   (or use {@link #sign(String, String, byte[])}).</li>
 *   <li>Compare it with {@code X-Gateway-Signature} in constant time (e.g. {@code MessageDigest.isEqual},
 *   {@code hmac.compare_digest}, {@code crypto.timingSafeEqual}); reject on mismatch.</li>
 *   <li>Reject requests whose timestamp is more than a few minutes away from your clock (e.g. 5 minutes), so a
 *   captured request cannot be replayed later. Each attempt is signed afresh with the current time.</li>
 * </ol>
 *
 * <h2>Responses and retries</h2>
 * Any 2xx is success. 4xx other than 408 and 429 means the webhook refuses the event: it is not retried (counted
 * in {@link #rejected()}). Anything else (other statuses, timeout, connection refused or reset) is retried after an
 * exponential backoff with jitter (base 500 ms, factor 2, cap 30 s; a {@code Retry-After} in seconds on the
 * response lengthens the wait, up to the cap) until {@code maxAttempts} attempts in total; then the event is
 * dropped, counted in {@link #failed()} and logged at WARN with its eventId and userId. Neither the secret nor the
 * body is ever logged.
 */
public final class WebhookFallback implements FallbackNotifier, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookFallback.class);

    /** Requests in flight at most. */
    static final int MAX_IN_FLIGHT = 16;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    static final long BACKOFF_BASE_MILLIS = 500;
    static final long BACKOFF_CAP_MILLIS = 30_000;
    static final String THREAD_NAME = "eventgate-fallback";
    private static final long QUEUE_FULL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final byte[] EVENT_FIELD = ",\"event\":".getBytes(StandardCharsets.US_ASCII);

    private final URI url;
    private final String secret;
    private final int maxAttempts;
    private final int queueCapacity;
    private final long backoffBaseMillis;
    private final long backoffCapMillis;
    private final LongSupplier epochSeconds;
    private final HttpClient client;

    /** Jobs due now or later (new jobs are due at once); a job's slot in {@link #slots} is held until it finishes. */
    private final DelayQueue<Job> queue = new DelayQueue<>();
    private final Semaphore slots;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final AtomicLong jobSeq = new AtomicLong();
    private final Thread dispatcher;
    private volatile boolean closed;

    private final LongAdder delivered = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder droppedQueueFull = new LongAdder();
    private final AtomicLong lastQueueFullLogNanos = new AtomicLong(System.nanoTime() - QUEUE_FULL_LOG_INTERVAL_NANOS);
    private final LongAdder droppedSinceLastLog = new LongAdder();

    /**
     * Starts the dispatcher thread.
     *
     * @param url the webhook, {@code http} or {@code https}
     * @param secret the HMAC key (used as its UTF-8 bytes)
     * @param maxAttempts attempts per event in total, at least 1
     * @param queueCapacity events held at most (waiting, in flight or waiting to retry), at least 1
     */
    public WebhookFallback(URI url, String secret, int maxAttempts, int queueCapacity) {
        this(url, secret, maxAttempts, queueCapacity, BACKOFF_BASE_MILLIS, BACKOFF_CAP_MILLIS,
                () -> System.currentTimeMillis() / 1000);
    }

    /** For tests: a shorter backoff, a fixed clock for {@code X-Gateway-Timestamp}. */
    WebhookFallback(URI url, String secret, int maxAttempts, int queueCapacity, long backoffBaseMillis,
                    long backoffCapMillis, LongSupplier epochSeconds) {
        Objects.requireNonNull(url, "url");
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("fallback webhook URL must be http or https");
        }
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("fallback webhook secret must not be empty");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be at least 1: " + queueCapacity);
        }
        if (backoffBaseMillis < 0 || backoffCapMillis < backoffBaseMillis) {
            throw new IllegalArgumentException("bad backoff " + backoffBaseMillis + "/" + backoffCapMillis);
        }
        this.url = url;
        this.secret = secret;
        this.maxAttempts = maxAttempts;
        this.queueCapacity = queueCapacity;
        this.backoffBaseMillis = backoffBaseMillis;
        this.backoffCapMillis = backoffCapMillis;
        this.epochSeconds = Objects.requireNonNull(epochSeconds, "epochSeconds");
        this.slots = new Semaphore(queueCapacity);
        sign(secret, "0", new byte[0]); // fail now, not on the dispatcher, if HMAC-SHA256 is unavailable
        this.client = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                // HTTP/2 (via ALPN) multiplexes over TLS; plain http stays HTTP/1.1 rather than attempting h2c upgrade.
                .version(scheme.equals("https") ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .build();
        this.dispatcher = Thread.ofPlatform().name(THREAD_NAME).daemon(true).unstarted(this::dispatch);
        this.dispatcher.start();
    }

    // ---------------------------------------------------------------------------------------------------- API

    /** Enqueues the event for the webhook, or drops it when the queue is full or this is closed. Never blocks. */
    @Override
    public void notify(String userId, Event event, Reason reason) {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(reason, "reason");
        if (closed) {
            return;
        }
        if (!slots.tryAcquire()) {
            droppedQueueFull.increment();
            droppedSinceLastLog.increment();
            logQueueFull();
            return;
        }
        queue.offer(new Job(userId, event, reason, jobSeq.incrementAndGet(), System.nanoTime()));
    }

    /**
     * {@code "sha256=" + lowercase hex HMAC-SHA256(key = secret's UTF-8 bytes, message = timestamp's UTF-8 bytes,
     * '.', body)}: the {@code X-Gateway-Signature} value for a request with that {@code X-Gateway-Timestamp} and raw
     * body. Receivers can use it to verify requests (compare in constant time).
     */
    public static String sign(String secret, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(timestamp.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) '.');
            mac.update(body);
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal());
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    /** Stops the dispatcher and aborts requests in flight; events still held are dropped (logged). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        dispatcher.interrupt();
        try {
            dispatcher.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.shutdownNow();
        int abandoned = queued();
        if (abandoned > 0) {
            LOG.warn("fallback webhook closed with {} event(s) not delivered", abandoned);
        }
    }

    /** Events delivered (2xx). */
    public long delivered() { return delivered.sum(); }

    /** Retries scheduled (a failed attempt followed by another). */
    public long retried() { return retried.sum(); }

    /** Events dropped after {@code maxAttempts} failed attempts. */
    public long failed() { return failed.sum(); }

    /** Events the webhook refused with a 4xx other than 408/429 (not retried). */
    public long rejected() { return rejected.sum(); }

    /** Events dropped by {@link #notify} because {@code queueCapacity} events were already held. */
    public long droppedQueueFull() { return droppedQueueFull.sum(); }

    /** Events held now: waiting, in flight or waiting to retry (at most {@code queueCapacity}). */
    public int queued() { return queueCapacity - slots.availablePermits(); }

    // ---------------------------------------------------------------------------------------------------- dispatch

    private void dispatch() {
        while (!closed) {
            try {
                inFlight.acquire();
            } catch (InterruptedException e) {
                break;
            }
            Job job;
            try {
                job = queue.take();
            } catch (InterruptedException e) {
                inFlight.release();
                break;
            }
            try {
                send(job);
            } catch (Throwable t) { // keep the dispatcher alive whatever happens
                inFlight.release();
                LOG.warn("fallback webhook could not send event {} for user {}: {}",
                        job.event.eventId(), job.userId, t.toString());
                finish(failed);
            }
        }
    }

    private void send(Job job) {
        job.attempt++;
        byte[] body = job.body();
        String timestamp = Long.toString(epochSeconds.getAsLong());
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header("X-Gateway-Timestamp", timestamp)
                .header("X-Gateway-Signature", sign(secret, timestamp, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        String eventId = job.event.eventId();
        if (isHeaderSafe(eventId)) {
            request.header("X-Gateway-Event-Id", eventId);
        }
        client.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
                .whenComplete((response, error) -> {
                    inFlight.release();
                    try {
                        completed(job, response, error);
                    } catch (Throwable t) {
                        LOG.warn("fallback webhook: unexpected error handling event {} for user {}: {}",
                                job.event.eventId(), job.userId, t.toString());
                        finish(failed);
                    }
                });
    }

    private void completed(Job job, HttpResponse<Void> response, Throwable error) {
        if (closed) {
            finish(null);
            return;
        }
        String outcome;
        long retryAfterMillis = 0;
        if (error == null) {
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                finish(delivered);
                return;
            }
            if (status >= 400 && status < 500 && status != 408 && status != 429) {
                LOG.warn("fallback webhook rejected event {} for user {} with HTTP {}; not retrying",
                        job.event.eventId(), job.userId, status);
                finish(rejected);
                return;
            }
            outcome = "HTTP " + status;
            retryAfterMillis = retryAfterMillis(response);
        } else {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            outcome = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        }
        if (job.attempt >= maxAttempts) {
            LOG.warn("fallback webhook gave up on event {} for user {} after {} attempt(s); last: {}",
                    job.event.eventId(), job.userId, job.attempt, outcome);
            finish(failed);
            return;
        }
        long delay = Math.max(backoffMillis(backoffBaseMillis, backoffCapMillis, job.attempt,
                ThreadLocalRandom.current().nextDouble()), Math.min(retryAfterMillis, backoffCapMillis));
        LOG.debug("fallback webhook attempt {} for event {} failed ({}); retrying in {} ms",
                job.attempt, job.event.eventId(), outcome, delay);
        retried.increment();
        job.dueNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        queue.offer(job);
    }

    private void finish(LongAdder counter) {
        if (counter != null) {
            counter.increment();
        }
        slots.release();
    }

    /**
     * The wait after failed attempt {@code attempt} (1-based): {@code d = min(cap, base * 2^(attempt-1))}, jittered
     * uniformly into {@code [d/2, d]} by {@code random} in {@code [0, 1)}.
     */
    static long backoffMillis(long base, long cap, int attempt, double random) {
        int shift = Math.min(Math.max(attempt - 1, 0), 30);
        long d = Math.min(cap, base << shift);
        long half = d / 2;
        return half + (long) (random * (d - half + 1));
    }

    private static long retryAfterMillis(HttpResponse<?> response) {
        String value = response.headers().firstValue("Retry-After").orElse(null);
        if (value == null) {
            return 0;
        }
        try {
            long seconds = Long.parseLong(value.trim());
            return seconds <= 0 ? 0 : TimeUnit.SECONDS.toMillis(Math.min(seconds, 3600));
        } catch (NumberFormatException e) {
            return 0; // an HTTP date: the backoff applies
        }
    }

    private static boolean isHeaderSafe(String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return value.charAt(0) != ' ' && value.charAt(value.length() - 1) != ' ';
    }

    private void logQueueFull() {
        long now = System.nanoTime();
        long last = lastQueueFullLogNanos.get();
        if (now - last >= QUEUE_FULL_LOG_INTERVAL_NANOS && lastQueueFullLogNanos.compareAndSet(last, now)) {
            LOG.warn("fallback webhook queue full ({} events held): dropped {} critical event(s) since the last report",
                    queueCapacity, droppedSinceLastLog.sumThenReset());
        }
    }

    private static byte[] head(String userId, Reason reason, int attempt) {
        ObjectNode head = Json.MAPPER.createObjectNode();
        head.put("userId", userId).put("reason", reason.name()).put("attempt", attempt);
        return write(head);
    }

    private static byte[] tail(Event event) {
        ObjectNode tail = Json.MAPPER.createObjectNode();
        tail.put("eventId", event.eventId()).put("channel", event.channel()).put("seq", event.seq());
        return write(tail);
    }

    private static byte[] write(ObjectNode node) {
        try {
            return Json.MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One event on its way; {@link #attempt} and {@link #dueNanos} are only touched by one thread at a time. */
    private static final class Job implements Delayed {
        final String userId;
        final Event event;
        final Reason reason;
        final long seq;
        volatile int attempt;
        volatile long dueNanos;
        private byte[] tail;

        Job(String userId, Event event, Reason reason, long seq, long dueNanos) {
            this.userId = userId;
            this.event = event;
            this.reason = reason;
            this.seq = seq;
            this.dueNanos = dueNanos;
        }

        /** Built on the dispatcher thread only. */
        byte[] body() {
            if (tail == null) {
                tail = tail(event);
            }
            return assemble(head(userId, reason, attempt), event.json(), tail);
        }

        /** {@code head} without its closing brace, {@code ,"event":}, the event, a comma, {@code tail} without its
         * opening brace. */
        static byte[] assemble(byte[] head, byte[] event, byte[] tail) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + EVENT_FIELD.length + event.length
                    + tail.length);
            out.write(head, 0, head.length - 1);
            out.write(EVENT_FIELD, 0, EVENT_FIELD.length);
            out.write(event, 0, event.length);
            out.write(',');
            out.write(tail, 1, tail.length - 1);
            return out.toByteArray();
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            Job o = (Job) other;
            int c = Long.compare(dueNanos - o.dueNanos, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
