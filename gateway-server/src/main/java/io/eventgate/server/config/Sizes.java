package io.eventgate.server.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing and printing of byte sizes: plain bytes, or a number with {@code B}, {@code KiB}/{@code KB},
 * {@code MiB}/{@code MB}, {@code GiB}/{@code GB} (case-insensitive). KB, MB and GB are binary like
 * KiB, MiB and GiB (1 KB = 1024 bytes).
 */
final class Sizes {
    static final long KIB = 1024L;
    static final long MIB = 1024L * KIB;
    static final long GIB = 1024L * MIB;
    static final String FORMS = "e.g. 65536, 64KiB or 1MiB; KB = KiB = 1024 bytes";

    private static final Pattern SIZE = Pattern.compile("(\\d{1,18})\\s*([kmg]i?b|b)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {}

    /** Returns the size in bytes, or -1 if {@code text} is not a size. */
    static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            return -1;
        }
        try {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
            long factor = switch (unit.charAt(0)) {
                case 'k' -> KIB;
                case 'm' -> MIB;
                case 'g' -> GIB;
                default -> 1L;
            };
            return Math.multiplyExact(n, factor);
        } catch (ArithmeticException | NumberFormatException e) {
            return -1;
        }
    }

    /** {@code 64KiB}, {@code 1MiB}, or bytes as {@code 1000B}. */
    static String format(long bytes) {
        if (bytes != 0) {
            if (bytes % GIB == 0) {
                return bytes / GIB + "GiB";
            }
            if (bytes % MIB == 0) {
                return bytes / MIB + "MiB";
            }
            if (bytes % KIB == 0) {
                return bytes / KIB + "KiB";
            }
        }
        return bytes + "B";
    }
}
