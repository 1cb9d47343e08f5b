package io.eventgate.core.filter;

/** Condition operators of the general filter form, with their wire names. */
enum Op {
    EQ("eq"), NEQ("neq"), IN("in"), GT("gt"), GTE("gte"), LT("lt"), LTE("lte"), EXISTS("exists");

    static final String ALLOWED = "eq, neq, in, gt, gte, lt, lte, exists";

    private static final Op[] VALUES = values();

    final String wire;

    Op(String wire) {
        this.wire = wire;
    }

    /** Exact, case-sensitive lookup by wire name; {@code null} if unknown. */
    static Op fromWire(String s) {
        for (Op op : VALUES) {
            if (op.wire.equals(s)) {
                return op;
            }
        }
        return null;
    }

    /** For ordering ops: whether a comparison result {@code c = actual <=> expected} passes. */
    boolean accepts(int c) {
        return switch (this) {
            case GT -> c > 0;
            case GTE -> c >= 0;
            case LT -> c < 0;
            case LTE -> c <= 0;
            default -> throw new IllegalStateException("not an ordering op: " + wire);
        };
    }
}
