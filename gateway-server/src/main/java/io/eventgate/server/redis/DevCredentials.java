package io.eventgate.server.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;

/**
 * Development mode with several nodes: the first node to start stores its generated JWT secret and API key in Redis
 * ({@code P:dev:jwt-secret}, {@code P:dev:api-key}, kept 7 days), and every later node adopts them, so a token
 * printed by one node works on all. Never used when secrets are configured.
 */
public final class DevCredentials {
    private static final long TTL_MILLIS = Duration.ofDays(7).toMillis();

    private DevCredentials() {}

    /** Returns {jwtSecret, apiKey}: the ones already in Redis, or the candidates after storing them. */
    public static String[] share(String redisUrl, String prefix, String jwtSecret, String apiKey) {
        RedisClient client = RedisSupport.client(redisUrl, Duration.ofSeconds(5), 1);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            SetArgs nx = SetArgs.Builder.nx().px(TTL_MILLIS);
            redis.set(prefix + ":dev:jwt-secret", jwtSecret, nx);
            redis.set(prefix + ":dev:api-key", apiKey, nx);
            return new String[] {redis.get(prefix + ":dev:jwt-secret"), redis.get(prefix + ":dev:api-key")};
        } finally {
            RedisSupport.shutdown(client);
        }
    }
}
