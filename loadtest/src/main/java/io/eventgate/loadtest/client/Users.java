package io.eventgate.loadtest.client;

import io.eventgate.loadtest.Jwt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * User ids and tokens by connection index: minted from a secret ({@code u<i>}), or read from a tokens file (line
 * {@code i mod count}; the user is the token's {@code sub}), or none (peers need no token).
 */
public final class Users {
    public static final long TOKEN_TTL_SECONDS = 24 * 3600;

    private final Jwt jwt;
    private final List<String> tokens;
    private final List<String> subjects;

    private Users(Jwt jwt, List<String> tokens) {
        this.jwt = jwt;
        this.tokens = tokens;
        if (tokens != null) {
            subjects = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                subjects.add(Jwt.subject(t));
            }
        } else {
            subjects = null;
        }
    }

    public static Users of(String jwtSecret, String tokensFile) {
        if (tokensFile != null) {
            try {
                List<String> lines = new ArrayList<>();
                for (String line : Files.readAllLines(Path.of(tokensFile))) {
                    if (!line.isBlank()) {
                        lines.add(line.trim());
                    }
                }
                if (lines.isEmpty()) {
                    throw new IllegalArgumentException("--tokens-file " + tokensFile + " has no tokens");
                }
                return new Users(null, lines);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read --tokens-file " + tokensFile, e);
            }
        }
        return new Users(jwtSecret == null ? null : new Jwt(jwtSecret), null);
    }

    public String user(int index) {
        return subjects != null ? subjects.get(index % subjects.size()) : "u" + index;
    }

    /** The token of connection {@code index}, or null when the target needs none. */
    public String token(int index) {
        if (tokens != null) {
            return tokens.get(index % tokens.size());
        }
        return jwt == null ? null : jwt.mint(user(index), TOKEN_TTL_SECONDS);
    }
}
