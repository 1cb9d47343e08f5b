package io.eventgate.server.cluster;

import static io.eventgate.server.cluster.ClusterSupport.WAIT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.cluster.ClusterSupport.FreshDatabase;
import io.eventgate.server.testing.PrivateRedis;
import io.eventgate.server.cluster.ClusterSupport.Reply;
import io.eventgate.server.testing.TestGateway;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A node on a private redis-server that is shut down in the middle of a publish stream and restarted empty on the
 * same port. Sessions and pending (unacknowledged) events are in PostgreSQL, which stays up.
 *
 * <p>Why this variant: with PostgreSQL the acking client's guarantee does not depend on anything Redis held. Redis
 * comes back empty, so every channel starts a new epoch and history recovery must report {@code recovered:false};
 * the 200-answered events still reach the client because they were recorded as pending (in PostgreSQL) before the
 * 200, and a resume always redelivers pending events.
 */
class RedisOutageIT {
    private static final int OK_BEFORE_OUTAGE = 100;
    private static final int FAILURES_DURING_OUTAGE = 20;
    private static final int OK_AFTER_RESTART = 50;
    private static final int MAX_ATTEMPTS = 5_000;

    @Test
    void everyPublishAnsweredOkReachesTheAckingClientAcrossARedisRestart() throws Exception {
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
        try (PrivateRedis redis = new PrivateRedis(); FreshDatabase db = FreshDatabase.create()) {
            redis.start();
            try (TestGateway node = TestGateway.start(Map.of(
                    "GATEWAY_REDIS_URL", redis.url(),
                    "GATEWAY_REDIS_PREFIX", ClusterSupport.uniquePrefix("outage"),
                    "GATEWAY_NODE_ID", "outage-1",
                    "GATEWAY_DB_URL", db.url(),
                    "GATEWAY_DB_USER", FreshDatabase.USER,
                    // Short enough that the resume's second look at the pending store (one ACK timeout later) lands
                    // well inside WAIT.
                    "GATEWAY_ACK_TIMEOUT", "5s"))) {
                URI http = ClusterSupport.http(node.port());
                await().atMost(WAIT).until(() -> ClusterSupport.get(http, "/health/ready").status() == 200);
                String user = "outage-" + ClusterSupport.random();
                String channel = "user:" + user;
                ResumingClient client = new ResumingClient(user, node.token(user), true,
                        sid -> ClusterSupport.ws(node.port(), sid));
                client.connect();

                // Readiness, sampled every 50 ms: only changes are kept.
                List<Integer> readiness = Collections.synchronizedList(new ArrayList<>());
                scheduler.scheduleWithFixedDelay(() -> {
                    try {
                        int status = ClusterSupport.get(http, "/health/ready").status();
                        synchronized (readiness) {
                            if (readiness.isEmpty() || readiness.get(readiness.size() - 1).intValue() != status) {
                                readiness.add(status);
                            }
                        }
                    } catch (RuntimeException e) {
                        // the node is up throughout; a failed sample is simply skipped
                    }
                }, 0, 50, TimeUnit.MILLISECONDS);

                // The publisher: one publish every few milliseconds until enough were accepted after the restart.
                List<String> accepted = Collections.synchronizedList(new ArrayList<>());
                Map<Integer, Integer> refusedByStatus = Collections.synchronizedMap(new TreeMap<>());
                List<String> refusedBodies = Collections.synchronizedList(new ArrayList<>());
                AtomicInteger attempts = new AtomicInteger();
                AtomicInteger acceptedAfterRestart = new AtomicInteger();
                AtomicBoolean restarted = new AtomicBoolean();
                AtomicBoolean done = new AtomicBoolean();
                scheduler.scheduleWithFixedDelay(() -> {
                    if (done.get()) {
                        return;
                    }
                    int i = attempts.incrementAndGet();
                    boolean afterRestart = restarted.get();
                    Reply r;
                    try {
                        r = ClusterSupport.publish(http, channel, "{\"type\":\"balance.updated\",\"i\":" + i
                                + ",\"balance\":1234.50}");
                    } catch (RuntimeException e) {
                        r = new Reply(-1, e.toString()); // no HTTP answer at all: fails the 503 check below
                    }
                    if (r.status() == 200) {
                        accepted.add(r.json().path("eventId").asText());
                        if (afterRestart) {
                            acceptedAfterRestart.incrementAndGet();
                        }
                    } else {
                        refusedByStatus.merge(r.status(), 1, Integer::sum);
                        if (refusedBodies.size() < 3) {
                            refusedBodies.add(r.body());
                        }
                    }
                    if (acceptedAfterRestart.get() >= OK_AFTER_RESTART || i >= MAX_ATTEMPTS) {
                        done.set(true);
                    }
                }, 0, 3, TimeUnit.MILLISECONDS);

                await().atMost(WAIT).until(() -> accepted.size() >= OK_BEFORE_OUTAGE);
                redis.stop();
                await().atMost(WAIT).until(() -> readiness.contains(503)
                        && refusedByStatus.values().stream().mapToInt(Integer::intValue).sum()
                        >= FAILURES_DURING_OUTAGE);
                redis.start(); // same port, empty
                restarted.set(true);
                await().atMost(WAIT).until(done::get);
                await().atMost(WAIT).until(() -> readiness.get(readiness.size() - 1).intValue() == 200);

                assertTrue(attempts.get() < MAX_ATTEMPTS, "the publisher was bounded by successes, not attempts");
                assertEquals(Set.of(503), refusedByStatus.keySet(), "every publish not accepted was answered 503: "
                        + refusedByStatus + " " + refusedBodies);
                List<Integer> transitions = List.copyOf(readiness);
                assertEquals(200, transitions.get(0), "ready before: " + transitions);
                assertTrue(transitions.indexOf(503) > 0, "not ready while Redis was down: " + transitions);
                assertEquals(200, transitions.get(transitions.size() - 1), "ready again: " + transitions);

                // Every 200 reaches the acking client (live, or redelivered from the PostgreSQL pending store after
                // the client was closed with 4200 and resumed).
                List<String> expected = List.copyOf(accepted);
                try {
                    await().atMost(WAIT).until(() -> client.firstOccurrences().keySet().containsAll(expected));
                } catch (ConditionTimeoutException e) {
                    Set<String> got = client.firstOccurrences().keySet();
                    List<String> missing = expected.stream().filter(id -> !got.contains(id)).toList();
                    throw new AssertionError("missing " + missing.size() + " of " + expected.size()
                            + " accepted events: " + missing.subList(0, Math.min(10, missing.size()))
                            + "; close codes " + client.closeCodes() + "; connected " + client.connectedFrames()
                            + "; log " + client.log, e);
                }
                for (JsonNode e : client.firstOccurrences().values()) {
                    assertEquals(channel, e.path("channel").asText());
                }
                List<JsonNode> connected = client.connectedFrames();
                for (JsonNode resume : connected.subList(1, connected.size())) {
                    assertTrue(resume.path("resumed").asBoolean(), "the session (PostgreSQL) was found: " + resume);
                }
                long redelivered = client.events().stream().filter(e -> e.path("redelivered").asBoolean()).count();
                System.out.println("RedisOutageIT: attempts " + attempts.get() + ", accepted " + expected.size()
                        + " (" + acceptedAfterRestart.get() + " after the restart), refused " + refusedByStatus
                        + " e.g. " + refusedBodies + "; readiness " + transitions + "; client closes "
                        + client.closeCodes() + ", resumes " + connected.subList(1, connected.size()).stream()
                        .map(n -> "resumed=" + n.path("resumed") + " recovered=" + n.path("recovered")).toList()
                        + ", frames " + client.events().size() + ", redelivered " + redelivered);
                client.close();
            }
        } finally {
            scheduler.shutdownNow();
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
