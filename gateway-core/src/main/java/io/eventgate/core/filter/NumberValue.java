package io.eventgate.core.filter;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * A numeric filter operand, converted once at parse time. Comparison against event numbers is
 * exact for BigDecimal/BigInteger event nodes (BigDecimal compare, scale ignored, so 50000.00 == 50000),
 * exact for int/long event nodes when the operand is integral, and by {@code double} otherwise.
 */
final class NumberValue {
    /** Returned by {@link #compareTo(JsonNode)} when the event number is NaN. */
    static final int INCOMPARABLE = Integer.MIN_VALUE;

    final BigDecimal decimal;
    private final double dbl;
    private final boolean exactLong;
    private final long lng;

    private NumberValue(BigDecimal decimal) {
        this.decimal = decimal;
        this.dbl = decimal.doubleValue();
        long l = 0;
        boolean exact;
        try {
            l = decimal.longValueExact();
            exact = true;
        } catch (ArithmeticException e) {
            exact = false;
        }
        this.exactLong = exact;
        this.lng = l;
    }

    /** Whether {@code n} is a number usable as a filter operand (finite). */
    static boolean isFinite(JsonNode n) {
        if (!n.isNumber()) {
            return false;
        }
        if (n.isDouble() || n.isFloat()) {
            return Double.isFinite(n.doubleValue());
        }
        return true;
    }

    /** @param n a finite numeric node (see {@link #isFinite}) */
    static NumberValue of(JsonNode n) {
        return new NumberValue(n.decimalValue());
    }

    /**
     * Compares an event number with this operand.
     *
     * @param n a numeric node ({@code n.isNumber()} must be true)
     * @return negative, zero or positive as {@code n} is less than, equal to or greater than this
     *     operand; {@link #INCOMPARABLE} if {@code n} is NaN
     */
    int compareTo(JsonNode n) {
        if (n.isBigDecimal() || n.isBigInteger()) {
            return n.decimalValue().compareTo(decimal);
        }
        if (exactLong && n.isIntegralNumber()) {
            return Long.compare(n.longValue(), lng);
        }
        double d = n.doubleValue();
        if (d != d) {
            return INCOMPARABLE;
        }
        return d < dbl ? -1 : (d > dbl ? 1 : 0);
    }

    /** Numeric equality of two arbitrary numeric nodes (used inside array/object literals). Never throws. */
    static boolean numericEquals(JsonNode a, JsonNode b) {
        if (isFinite(a)) {
            return of(a).compareTo(b) == 0;
        }
        if (isFinite(b)) {
            return of(b).compareTo(a) == 0;
        }
        double x = a.doubleValue();
        return x == b.doubleValue(); // both non-finite: equal infinities match, NaN never does
    }
}
