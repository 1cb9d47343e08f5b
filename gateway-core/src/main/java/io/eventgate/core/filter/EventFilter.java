package io.eventgate.core.filter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;

/**
 * A compiled subscription filter: decides whether a parsed event is delivered to a subscriber.
 *
 * <h2>Input forms</h2>
 * The {@code filters} value of a subscribe message may be:
 * <ol>
 *   <li><b>Shorthand</b> object with any of {@code minAmount} (number), {@code maxAmount} (number),
 *       {@code status} (string, or non-empty array of strings meaning "any of").</li>
 *   <li><b>General</b> object {@code {"where":[{"path":"a.b","op":"gte","value":1000}, ...]}}.</li>
 *   <li>Both combined in one object, e.g. {@code {"minAmount":1000,"where":[...]}}.</li>
 *   <li>The {@code where} list given directly as an array: {@code [{"path":...,"op":...,"value":...}]}.</li>
 * </ol>
 * Absent, JSON {@code null}, {@code {}}, {@code {"where":[]}} and {@code []} all mean "no filter" ({@link #NONE}).
 * All shorthand fields and all conditions must pass (logical AND).
 *
 * <h2>Shorthand semantics</h2>
 * The shorthand fields apply to the event's <i>body</i>: the field of the event whose name is exactly the
 * event's {@code type} string (looked up as a single field name, so type {@code transaction.created} reads
 * field {@code "transaction.created"}, not a nested path), provided that field is a JSON object. If the event
 * has no object field named like its type (or has no string {@code type}), the body is the event itself.
 * <ul>
 *   <li>{@code minAmount}: passes when {@code body.amount} is a number and {@code amount >= minAmount}.</li>
 *   <li>{@code maxAmount}: passes when {@code body.amount} is a number and {@code amount <= maxAmount}.</li>
 *   <li>{@code status}: passes when {@code body.status} is a string exactly (case-sensitively) equal to the
 *       given string, or to one of the given strings.</li>
 * </ul>
 *
 * <h2>Conditions ({@code where})</h2>
 * Each condition is an object with exactly the keys {@code path} (required), {@code op} (required) and
 * {@code value}. {@code path} is dotted ({@code a.b.c}) and resolved from the event root through nested
 * objects; a segment that is a non-negative integer without leading zeros (e.g. {@code items.0.price})
 * also indexes into an array. Field names containing dots cannot be addressed by {@code path}.
 * Ops (case-sensitive):
 * <ul>
 *   <li>{@code eq}: value required (any JSON value, including {@code null}). Numbers compare numerically
 *       ({@code 50000} equals {@code 50000.00}); strings exactly; booleans, {@code null}, arrays and objects
 *       structurally. Values of different JSON types are never equal ({@code "5"} is not {@code 5}).</li>
 *   <li>{@code neq}: passes when the field is <b>present</b> and not {@code eq} to the value.
 *       <b>A missing field does not pass {@code neq}</b> ({@code neq} implies presence; a present JSON
 *       {@code null} is a present value).</li>
 *   <li>{@code in}: value must be a non-empty array; passes when the field is {@code eq} to any element.</li>
 *   <li>{@code gt}, {@code gte}, {@code lt}, {@code lte}: value must be a number or a string. With a number
 *       the field must be a number, compared numerically; with a string the field must be a string,
 *       compared lexicographically by UTF-16 code unit (suitable for ISO-8601 timestamps in the same
 *       format and zone).</li>
 *   <li>{@code exists}: value optional boolean, default {@code true}. {@code true} passes when the path is
 *       present (a present JSON {@code null} counts as present); {@code false} passes when it is absent.</li>
 * </ul>
 * A field that is missing, or of the wrong JSON type for the op, does not pass (only {@code exists:false}
 * passes on a missing field).
 *
 * <h2>Validation</h2>
 * {@link #parse} rejects with a {@link FilterException} naming the offending field (e.g.
 * {@code filters.minAmount}, {@code filters.status[1]}, {@code filters.where[2].op}, or {@code filters[0].path}
 * for the array form): a {@code filters} value that is not an object or array; unknown keys in the filters
 * object or in a condition; a non-number or non-finite {@code minAmount}/{@code maxAmount};
 * {@code minAmount > maxAmount} (reported on {@code filters.minAmount}); a {@code status} that is not a
 * string or non-empty array of strings; a {@code where} that is not an array; more than
 * {@value #MAX_CONDITIONS} conditions; a condition that is not an object; a missing, non-string or empty
 * {@code path}; a path with empty segments or more than {@value #MAX_PATH_SEGMENTS} segments; a missing,
 * non-string or unknown {@code op}; a missing {@code value} for an op that needs one; a value of the wrong
 * type for the op. Explicit JSON {@code null} is not accepted in place of an omitted key (except as an
 * {@code eq}/{@code neq}/{@code in} operand).
 *
 * <h2>Numbers</h2>
 * Comparison is exact when the event number is a BigDecimal/BigInteger node, or an integer node compared with
 * an integral operand; otherwise it is by {@code double}. NaN event values never pass a numeric comparison.
 *
 * <p>Instances are immutable and thread-safe; {@link #test} performs no allocation for scalar operands.
 */
public final class EventFilter {
    /** Maximum number of conditions in the {@code where} list (shorthand fields are not counted). */
    public static final int MAX_CONDITIONS = 32;
    /** Maximum number of dot-separated segments in a condition {@code path}. */
    public static final int MAX_PATH_SEGMENTS = FilterPath.MAX_SEGMENTS;

    private static final Condition[] NO_CONDITIONS = new Condition[0];
    private static final String ALLOWED_KEYS = "minAmount, maxAmount, status, where";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The empty filter: passes every event; {@link #toJson()} returns {@code null}. */
    public static final EventFilter NONE = new EventFilter(null, null, null, NO_CONDITIONS, null);

    private final NumberValue minAmount;
    private final NumberValue maxAmount;
    private final String[] statuses;
    private final boolean shorthand;
    private final Condition[] conditions;
    private final ObjectNode json;

    private EventFilter(NumberValue minAmount, NumberValue maxAmount, String[] statuses, Condition[] conditions,
            ObjectNode json) {
        this.minAmount = minAmount;
        this.maxAmount = maxAmount;
        this.statuses = statuses;
        this.shorthand = minAmount != null || maxAmount != null || statuses != null;
        this.conditions = conditions;
        this.json = json;
    }

    /**
     * Validates and compiles a client's {@code filters} value (see the class documentation for the accepted
     * forms). The input is not retained; later changes to it do not affect the returned filter.
     *
     * @param filters the {@code filters} value; {@code null}, JSON null or a missing node yield {@link #NONE}
     * @return the compiled filter; {@link #NONE} when the input contains no shorthand fields and no conditions
     * @throws FilterException if the input is invalid; {@link FilterException#field()} names the offending field
     */
    public static EventFilter parse(JsonNode filters) throws FilterException {
        if (filters == null || filters.isNull() || filters.isMissingNode()) {
            return NONE;
        }
        ObjectNode json = NODES.objectNode();
        if (filters.isArray()) {
            Condition[] where = parseConditions(filters, "filters", json);
            return where.length == 0 ? NONE : new EventFilter(null, null, null, where, json);
        }
        if (!filters.isObject()) {
            throw new FilterException("filters", "must be an object or an array of conditions");
        }
        for (Iterator<String> it = filters.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            switch (key) {
                case "minAmount", "maxAmount", "status", "where" -> { }
                default -> throw new FilterException("filters." + key,
                        "unknown filter key; allowed keys are " + ALLOWED_KEYS);
            }
        }
        NumberValue min = parseAmount(filters, "minAmount", json);
        NumberValue max = parseAmount(filters, "maxAmount", json);
        if (min != null && max != null && min.decimal.compareTo(max.decimal) > 0) {
            throw new FilterException("filters.minAmount", "must be less than or equal to maxAmount");
        }
        String[] statuses = parseStatus(filters.get("status"), json);
        Condition[] where = NO_CONDITIONS;
        JsonNode whereNode = filters.get("where");
        if (whereNode != null) {
            where = parseConditions(whereNode, "filters.where", json);
        }
        if (min == null && max == null && statuses == null && where.length == 0) {
            return NONE;
        }
        return new EventFilter(min, max, statuses, where, json);
    }

    private static NumberValue parseAmount(JsonNode filters, String key, ObjectNode json) throws FilterException {
        JsonNode n = filters.get(key);
        if (n == null) {
            return null;
        }
        if (!NumberValue.isFinite(n)) {
            throw new FilterException("filters." + key, "must be a finite number");
        }
        json.set(key, n.deepCopy());
        return NumberValue.of(n);
    }

    private static String[] parseStatus(JsonNode n, ObjectNode json) throws FilterException {
        if (n == null) {
            return null;
        }
        if (n.isTextual()) {
            json.put("status", n.textValue());
            return new String[] {n.textValue()};
        }
        if (!n.isArray()) {
            throw new FilterException("filters.status", "must be a string or a non-empty array of strings");
        }
        if (n.isEmpty()) {
            throw new FilterException("filters.status", "must not be an empty array");
        }
        String[] out = new String[n.size()];
        ArrayNode copy = json.putArray("status");
        for (int i = 0; i < out.length; i++) {
            JsonNode e = n.get(i);
            if (!e.isTextual()) {
                throw new FilterException("filters.status[" + i + "]", "must be a string");
            }
            out[i] = e.textValue();
            copy.add(out[i]);
        }
        return out;
    }

    private static Condition[] parseConditions(JsonNode list, String field, ObjectNode json) throws FilterException {
        if (!list.isArray()) {
            throw new FilterException(field, "must be an array of conditions");
        }
        int size = list.size();
        if (size > MAX_CONDITIONS) {
            throw new FilterException(field, "must contain at most " + MAX_CONDITIONS + " conditions (got " + size + ")");
        }
        Condition[] out = new Condition[size];
        ArrayNode jsonWhere = NODES.arrayNode();
        for (int i = 0; i < size; i++) {
            out[i] = parseCondition(list.get(i), field + "[" + i + "]", jsonWhere);
        }
        if (size > 0) {
            json.set("where", jsonWhere);
        }
        return out;
    }

    private static Condition parseCondition(JsonNode c, String field, ArrayNode jsonWhere) throws FilterException {
        if (!c.isObject()) {
            throw new FilterException(field, "must be an object with path, op and value");
        }
        for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            switch (key) {
                case "path", "op", "value" -> { }
                default -> throw new FilterException(field + "." + key,
                        "unknown condition key; allowed keys are path, op, value");
            }
        }
        String pathField = field + ".path";
        JsonNode pathNode = c.get("path");
        if (pathNode == null) {
            throw new FilterException(pathField, "is required");
        }
        if (!pathNode.isTextual()) {
            throw new FilterException(pathField, "must be a string");
        }
        FilterPath path = FilterPath.parse(pathNode.textValue(), pathField);

        String opField = field + ".op";
        JsonNode opNode = c.get("op");
        if (opNode == null) {
            throw new FilterException(opField, "is required");
        }
        if (!opNode.isTextual()) {
            throw new FilterException(opField, "must be a string");
        }
        Op op = Op.fromWire(opNode.textValue());
        if (op == null) {
            throw new FilterException(opField,
                    "unknown op '" + opNode.textValue() + "'; allowed ops are " + Op.ALLOWED);
        }

        String valueField = field + ".value";
        JsonNode value = c.get("value");
        if (value == null && op != Op.EXISTS) {
            throw new FilterException(valueField, "is required for op '" + op.wire + "'");
        }
        ObjectNode echo = jsonWhere.addObject();
        echo.put("path", path.text);
        echo.put("op", op.wire);
        return switch (op) {
            case EQ, NEQ -> {
                Literal lit = literal(value, valueField);
                echo.set("value", value.deepCopy());
                yield op == Op.EQ ? new Condition.Eq(path, lit) : new Condition.Neq(path, lit);
            }
            case IN -> {
                if (!value.isArray()) {
                    throw new FilterException(valueField, "must be an array for op 'in'");
                }
                if (value.isEmpty()) {
                    throw new FilterException(valueField, "must not be an empty array");
                }
                Literal[] lits = new Literal[value.size()];
                for (int i = 0; i < lits.length; i++) {
                    lits[i] = literal(value.get(i), valueField + "[" + i + "]");
                }
                echo.set("value", value.deepCopy());
                yield new Condition.In(path, lits);
            }
            case GT, GTE, LT, LTE -> {
                if (value.isTextual()) {
                    echo.put("value", value.textValue());
                    yield new Condition.StringOrder(path, op, value.textValue());
                }
                if (!NumberValue.isFinite(value)) {
                    throw new FilterException(valueField,
                            "must be a finite number or a string for op '" + op.wire + "'");
                }
                echo.set("value", value.deepCopy());
                yield new Condition.NumberOrder(path, op, NumberValue.of(value));
            }
            case EXISTS -> {
                boolean expected = true;
                if (value != null) {
                    if (!value.isBoolean()) {
                        throw new FilterException(valueField, "must be a boolean for op 'exists'");
                    }
                    expected = value.booleanValue();
                }
                echo.put("value", expected);
                yield new Condition.Exists(path, expected);
            }
        };
    }

    private static Literal literal(JsonNode value, String field) throws FilterException {
        if (value.isNumber() && !NumberValue.isFinite(value)) {
            throw new FilterException(field, "must be a finite number");
        }
        return new Literal(value);
    }

    /**
     * Evaluates this filter against a parsed event.
     *
     * @param event the parsed event (normally an ObjectNode); {@code null} is treated as an event with no fields
     * @return {@code true} if the event passes every shorthand field and every condition and should be delivered
     */
    public boolean test(JsonNode event) {
        if (shorthand && !testShorthand(body(event))) {
            return false;
        }
        for (Condition c : conditions) {
            if (!c.test(event)) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode body(JsonNode event) {
        if (event == null || !event.isObject()) {
            return event;
        }
        JsonNode type = event.get("type");
        if (type != null && type.isTextual()) {
            JsonNode body = event.get(type.textValue());
            if (body != null && body.isObject()) {
                return body;
            }
        }
        return event;
    }

    private boolean testShorthand(JsonNode body) {
        if (body == null || !body.isObject()) {
            return false;
        }
        if (minAmount != null || maxAmount != null) {
            JsonNode amount = body.get("amount");
            if (amount == null || !amount.isNumber()) {
                return false;
            }
            if (minAmount != null) {
                int c = minAmount.compareTo(amount);
                if (c == NumberValue.INCOMPARABLE || c < 0) {
                    return false;
                }
            }
            if (maxAmount != null) {
                int c = maxAmount.compareTo(amount);
                if (c == NumberValue.INCOMPARABLE || c > 0) {
                    return false;
                }
            }
        }
        if (statuses != null) {
            JsonNode status = body.get("status");
            if (status == null || !status.isTextual()) {
                return false;
            }
            String s = status.textValue();
            for (String allowed : statuses) {
                if (allowed.equals(s)) {
                    return true;
                }
            }
            return false;
        }
        return true;
    }

    /** Whether this is the empty filter that passes every event (absent, null or empty {@code filters}). */
    public boolean isNone() {
        return conditions.length == 0 && !shorthand;
    }

    /**
     * The canonical JSON form of this filter, for echoing in the {@code subscribed} reply and for persistence.
     * It is an object with, in this order and only when set: {@code minAmount}, {@code maxAmount},
     * {@code status} (string or array, as given), {@code where} (array of {@code {"path","op","value"}};
     * {@code exists} always carries an explicit boolean {@code value}). The array input form is normalized to
     * {@code {"where":[...]}}. Passing the result to {@link #parse} yields an equivalent filter.
     *
     * @return a fresh, caller-owned copy; {@code null} for {@link #NONE}
     */
    public JsonNode toJson() {
        return json == null ? null : json.deepCopy();
    }

    @Override
    public String toString() {
        return json == null ? "EventFilter.NONE" : "EventFilter" + json;
    }
}
