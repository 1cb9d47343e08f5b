package io.eventgate.server.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing and printing of durations: {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 2d}, ISO-8601, or seconds. */
public final class Durations {
    static final String FORMS = "e.g. 500ms, 30s, 10m, 1h, 2d or PT30S; a plain number is seconds";

    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)?");

    private Durations() {}

    /** Returns the duration, or null if {@code text} is not a duration. Negative ISO durations are returned as is. */
    public static Duration parse(String text) {
        String s = text.strip();
        if (s.isEmpty()) {
            return null;
        }
        char first = s.charAt(0);
        if (first == 'P' || first == 'p' || ((first == '-' || first == '+') && s.length() > 1
                && (s.charAt(1) == 'P' || s.charAt(1) == 'p'))) {
            try {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException | ArithmeticException e) {
                return null;
            }
        }
        Matcher m = SIMPLE.matcher(s);
        if (!m.matches()) {
            return null;
        }
        try {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofSeconds(Math.multiplyExact(n, 60L));
                case "h" -> Duration.ofSeconds(Math.multiplyExact(n, 3_600L));
                case "d" -> Duration.ofSeconds(Math.multiplyExact(n, 86_400L));
                default -> null;
            };
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
    }

    /** Shortest exact form in the largest unit: {@code 10m}, {@code 75s}, {@code 500ms}; ISO-8601 below a millisecond. */
    static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.isNegative() || d.getNano() % 1_000_000 != 0) {
            return d.toString();
        }
        long ms;
        try {
            ms = d.toMillis();
        } catch (ArithmeticException e) {
            return d.toString();
        }
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3_600 == 0) {
            return s / 3_600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
