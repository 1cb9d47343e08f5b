package io.eventgate.core.filter;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Comparator;

/**
 * An {@code eq}/{@code neq}/{@code in} operand. Numbers compare numerically (50000 equals 50000.00),
 * strings exactly (case-sensitive), booleans and null by value, arrays and objects structurally
 * (with numeric comparison of nested numbers). Values of different JSON types never match.
 * Holds a private deep copy of the client's node, so it is immutable.
 */
final class Literal {
    private static final Comparator<JsonNode> DEEP = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return NumberValue.numericEquals(a, b) ? 0 : 1;
        }
        return a.equals(b) ? 0 : 1;
    };

    private final JsonNode node;
    private final NumberValue number;
    private final String text;

    /** @param node a JSON value; if numeric it must be finite */
    Literal(JsonNode node) {
        this.node = node.deepCopy();
        this.number = node.isNumber() ? NumberValue.of(node) : null;
        this.text = node.isTextual() ? node.textValue() : null;
    }

    /** @param v a present event value (never {@code null}; may be a NullNode) */
    boolean matches(JsonNode v) {
        if (number != null) {
            return v.isNumber() && number.compareTo(v) == 0;
        }
        if (text != null) {
            return v.isTextual() && text.equals(v.textValue());
        }
        if (node.isBoolean()) {
            return v.isBoolean() && v.booleanValue() == node.booleanValue();
        }
        if (node.isNull()) {
            return v.isNull();
        }
        return node.equals(DEEP, v);
    }
}
