package io.eventgate.loadtest;

import java.time.Duration;

/** Parses {@code 500ms}, {@code 20s}, {@code 2m}, {@code 1h} or a plain number of seconds. */
public final class Durations {
    private Durations() {}

    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            } else if (s.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
            } else if (s.endsWith("m")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 60_000));
            } else if (s.endsWith("h")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 3_600_000));
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration (e.g. 500ms, 20s, 2m): \"" + text + "\"");
        }
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
