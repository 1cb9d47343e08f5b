package io.eventgate.core.filter;

import com.fasterxml.jackson.databind.JsonNode;

/** One compiled {@code where} condition. Immutable; {@link #test} does not allocate for scalar operands. */
abstract sealed class Condition
        permits Condition.Eq, Condition.Neq, Condition.In, Condition.NumberOrder, Condition.StringOrder,
                Condition.Exists {

    final FilterPath path;

    Condition(FilterPath path) {
        this.path = path;
    }

    abstract boolean test(JsonNode event);

    static final class Eq extends Condition {
        private final Literal value;

        Eq(FilterPath path, Literal value) {
            super(path);
            this.value = value;
        }

        @Override
        boolean test(JsonNode event) {
            JsonNode n = path.resolve(event);
            return n != null && value.matches(n);
        }
    }

    static final class Neq extends Condition {
        private final Literal value;

        Neq(FilterPath path, Literal value) {
            super(path);
            this.value = value;
        }

        @Override
        boolean test(JsonNode event) {
            JsonNode n = path.resolve(event);
            return n != null && !value.matches(n);
        }
    }

    static final class In extends Condition {
        private final Literal[] values;

        In(FilterPath path, Literal[] values) {
            super(path);
            this.values = values;
        }

        @Override
        boolean test(JsonNode event) {
            JsonNode n = path.resolve(event);
            if (n == null) {
                return false;
            }
            for (Literal v : values) {
                if (v.matches(n)) {
                    return true;
                }
            }
            return false;
        }
    }

    static final class NumberOrder extends Condition {
        private final Op op;
        private final NumberValue value;

        NumberOrder(FilterPath path, Op op, NumberValue value) {
            super(path);
            this.op = op;
            this.value = value;
        }

        @Override
        boolean test(JsonNode event) {
            JsonNode n = path.resolve(event);
            if (n == null || !n.isNumber()) {
                return false;
            }
            int c = value.compareTo(n);
            return c != NumberValue.INCOMPARABLE && op.accepts(c);
        }
    }

    static final class StringOrder extends Condition {
        private final Op op;
        private final String value;

        StringOrder(FilterPath path, Op op, String value) {
            super(path);
            this.op = op;
            this.value = value;
        }

        @Override
        boolean test(JsonNode event) {
            JsonNode n = path.resolve(event);
            return n != null && n.isTextual() && op.accepts(n.textValue().compareTo(value));
        }
    }

    static final class Exists extends Condition {
        private final boolean expected;

        Exists(FilterPath path, boolean expected) {
            super(path);
            this.expected = expected;
        }

        @Override
        boolean test(JsonNode event) {
            return (path.resolve(event) != null) == expected;
        }
    }
}
