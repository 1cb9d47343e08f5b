package io.eventgate.core.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EventFilterTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Parses floats as BigDecimal (DecimalNode), as a gateway configured for exact amounts would. */
    private static final ObjectMapper DECIMAL_MAPPER =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** JSON with single quotes for readability. */
    static JsonNode json(String singleQuoted) {
        try {
            return MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }

    static JsonNode decimalJson(String singleQuoted) {
        try {
            return DECIMAL_MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }

    static EventFilter filter(String singleQuoted) {
        try {
            return EventFilter.parse(json(singleQuoted));
        } catch (FilterException e) {
            throw new AssertionError("unexpected rejection of " + singleQuoted + ": " + e, e);
        }
    }

    static EventFilter where(String path, String op, String valueJson) {
        return filter("{'where':[{'path':'" + path + "','op':'" + op + "','value':" + valueJson + "}]}");
    }

    static FilterException rejected(JsonNode filters) {
        return assertThrows(FilterException.class, () -> EventFilter.parse(filters), () -> "should reject " + filters);
    }

    static void assertRejectedAt(String expectedField, JsonNode filters) {
        FilterException e = rejected(filters);
        assertEquals(expectedField, e.field(), () -> "field for " + filters + " (message: " + e.getMessage() + ")");
        assertNotNull(e.getMessage());
        assertFalse(e.getMessage().isBlank(), "message must be human-readable");
    }

    static JsonNode txn(String amountAndStatusFields) {
        return json("{'type':'transaction','transaction':{" + amountAndStatusFields + "}}");
    }

    @Nested
    class Shorthand {

        @Test
        void minAmountAppliesToBodyNamedAfterType() {
            EventFilter f = filter("{'minAmount':1000}");
            assertTrue(f.test(txn("'amount':50000")));
            assertFalse(f.test(txn("'amount':999")));
            // the body wins over a top-level amount when the body exists
            assertFalse(f.test(json("{'type':'transaction','amount':50000,'transaction':{'amount':10}}")));
        }

        @Test
        void minAmountIsInclusive() {
            EventFilter f = filter("{'minAmount':1000}");
            assertTrue(f.test(txn("'amount':1000")));
            assertTrue(f.test(txn("'amount':1000.0")));
            assertFalse(f.test(txn("'amount':999.99")));
        }

        @Test
        void maxAmountIsInclusive() {
            EventFilter f = filter("{'maxAmount':1000}");
            assertTrue(f.test(txn("'amount':1000")));
            assertTrue(f.test(txn("'amount':-5")));
            assertFalse(f.test(txn("'amount':1000.01")));
        }

        @Test
        void fallsBackToTopLevelWhenEventHasNoFieldNamedAfterType() {
            EventFilter f = filter("{'minAmount':1000,'status':'PAID'}");
            assertTrue(f.test(json("{'type':'payout','amount':5000,'status':'PAID'}")));
            assertFalse(f.test(json("{'type':'payout','amount':10,'status':'PAID'}")));
            assertFalse(f.test(json("{'type':'payout','amount':5000,'status':'FAILED'}")));
        }

        @Test
        void fallsBackToTopLevelWhenFieldNamedAfterTypeIsNotAnObject() {
            EventFilter f = filter("{'minAmount':1000}");
            assertTrue(f.test(json("{'type':'payout','payout':'p-1','amount':5000}")));
            assertFalse(f.test(json("{'type':'payout','payout':'p-1','amount':1}")));
        }

        @Test
        void fallsBackToTopLevelWhenTypeIsMissingOrNotAString() {
            EventFilter f = filter("{'minAmount':1000}");
            assertTrue(f.test(json("{'amount':5000}")));
            assertTrue(f.test(json("{'type':7,'amount':5000}")));
            assertFalse(f.test(json("{'type':7,'amount':10}")));
        }

        @Test
        void typeWithDotIsLookedUpAsSingleFieldNameNotAsPath() {
            EventFilter f = filter("{'minAmount':1000}");
            assertTrue(f.test(json(
                    "{'type':'transaction.created','transaction.created':{'amount':5000},'amount':1}")));
            // nested transaction.created is NOT the body: falls back to top-level amount (1)
            assertFalse(f.test(json(
                    "{'type':'transaction.created','transaction':{'created':{'amount':5000}},'amount':1}")));
        }

        @Test
        void statusIsExactAndCaseSensitive() {
            EventFilter f = filter("{'status':'SUCCESS'}");
            assertTrue(f.test(txn("'status':'SUCCESS'")));
            assertFalse(f.test(txn("'status':'success'")));
            assertFalse(f.test(txn("'status':'SUCCESS '")));
        }

        @Test
        void statusArrayMeansAnyOf() {
            EventFilter f = filter("{'status':['SUCCESS','PENDING']}");
            assertTrue(f.test(txn("'status':'SUCCESS'")));
            assertTrue(f.test(txn("'status':'PENDING'")));
            assertFalse(f.test(txn("'status':'FAILED'")));
        }

        @Test
        void missingOrWrongTypedAmountDoesNotPass() {
            EventFilter f = filter("{'minAmount':1000}");
            assertFalse(f.test(txn("'status':'SUCCESS'")));
            assertFalse(f.test(txn("'amount':'50000'")));
            assertFalse(f.test(txn("'amount':null")));
        }

        @Test
        void missingOrWrongTypedStatusDoesNotPass() {
            EventFilter f = filter("{'status':'SUCCESS'}");
            assertFalse(f.test(txn("'amount':1")));
            assertFalse(f.test(txn("'status':['SUCCESS']")));
            assertFalse(f.test(txn("'status':null")));
        }

        @Test
        void allShorthandFieldsMustPass() {
            EventFilter f = filter("{'minAmount':100,'maxAmount':200,'status':['A','B']}");
            assertTrue(f.test(txn("'amount':150,'status':'B'")));
            assertFalse(f.test(txn("'amount':99,'status':'B'")));
            assertFalse(f.test(txn("'amount':201,'status':'B'")));
            assertFalse(f.test(txn("'amount':150,'status':'C'")));
        }

        @Test
        void amountsCompareExactlyAcrossScales() {
            EventFilter f = filter("{'minAmount':50000,'maxAmount':50000}");
            assertTrue(f.test(decimalJson("{'type':'transaction','transaction':{'amount':50000.00}}")));
            assertTrue(f.test(json("{'type':'transaction','transaction':{'amount':50000.00}}")));
            assertFalse(f.test(decimalJson("{'type':'transaction','transaction':{'amount':50000.01}}")));
            EventFilter decimalBounds = filter("{'minAmount':50000.00,'maxAmount':50000.00}");
            assertTrue(decimalBounds.test(txn("'amount':50000")));
        }

        @Test
        void eventThatIsNotAnObjectDoesNotPass() {
            EventFilter f = filter("{'minAmount':0}");
            assertFalse(f.test(null));
            assertFalse(f.test(json("[1,2]")));
            assertFalse(f.test(json("5")));
        }
    }

    @Nested
    class Operators {

        @Test
        void eqComparesNumbersNumerically() {
            EventFilter f = where("transaction.amount", "eq", "50000");
            assertTrue(f.test(txn("'amount':50000")));
            assertTrue(f.test(txn("'amount':50000.00")));
            assertTrue(f.test(decimalJson("{'type':'transaction','transaction':{'amount':50000.00}}")));
            assertFalse(f.test(txn("'amount':50000.5")));

            EventFilter decimalValue = where("transaction.amount", "eq", "50000.00");
            assertTrue(decimalValue.test(txn("'amount':50000")));
            assertTrue(decimalValue.test(decimalJson("{'type':'transaction','transaction':{'amount':5.0000E4}}")));
        }

        @Test
        void eqTreatsNegativeZeroAsZero() {
            EventFilter f = where("n", "eq", "0");
            assertTrue(f.test(json("{'n':-0.0}")));
            assertTrue(f.test(json("{'n':0}")));
            assertFalse(f.test(json("{'n':0.001}")));
        }

        @Test
        void eqOnStringsIsExactCaseSensitiveAndTypeStrict() {
            EventFilter f = where("status", "eq", "'SUCCESS'");
            assertTrue(f.test(json("{'status':'SUCCESS'}")));
            assertFalse(f.test(json("{'status':'success'}")));

            EventFilter five = where("code", "eq", "'5'");
            assertTrue(five.test(json("{'code':'5'}")));
            assertFalse(five.test(json("{'code':5}")));
            assertFalse(where("code", "eq", "5").test(json("{'code':'5'}")));
        }

        @Test
        void eqMatchesBooleansByValue() {
            EventFilter f = where("flag", "eq", "true");
            assertTrue(f.test(json("{'flag':true}")));
            assertFalse(f.test(json("{'flag':false}")));
            assertFalse(f.test(json("{'flag':'true'}")));
            assertFalse(f.test(json("{'flag':1}")));
        }

        @Test
        void eqNullMatchesOnlyAPresentJsonNull() {
            EventFilter f = where("x", "eq", "null");
            assertTrue(f.test(json("{'x':null}")));
            assertFalse(f.test(json("{}")));
            assertFalse(f.test(json("{'x':'null'}")));
            assertFalse(f.test(json("{'x':0}")));
        }

        @Test
        void eqComparesArraysAndObjectsStructurallyWithNumericLeaves() {
            EventFilter arr = where("tags", "eq", "[1,2.0,'a']");
            assertTrue(arr.test(json("{'tags':[1.0,2,'a']}")));
            assertFalse(arr.test(json("{'tags':[1,2,'a','b']}")));
            assertFalse(arr.test(json("{'tags':[2,1,'a']}")));

            EventFilter obj = where("meta", "eq", "{'k':1,'s':'v'}");
            assertTrue(obj.test(json("{'meta':{'s':'v','k':1.00}}")));
            assertFalse(obj.test(json("{'meta':{'k':1,'s':'v','extra':true}}")));
            assertFalse(obj.test(json("{'meta':[1,'v']}")));
        }

        @Test
        void neqPassesOnlyWhenFieldIsPresentAndDifferent() {
            EventFilter f = where("transaction.status", "neq", "'FAILED'");
            assertTrue(f.test(txn("'status':'SUCCESS'")));
            assertFalse(f.test(txn("'status':'FAILED'")));
            assertFalse(f.test(txn("'amount':1")), "missing field must not pass neq");
            assertTrue(f.test(txn("'status':null")), "present null is a present, different value");
        }

        @Test
        void neqComparesNumbersNumerically() {
            EventFilter f = where("amount", "neq", "50000");
            assertFalse(f.test(json("{'amount':50000.00}")));
            assertTrue(f.test(json("{'amount':50001}")));
            assertTrue(f.test(json("{'amount':'50000'}")), "a string is never equal to a number");
        }

        @Test
        void inMatchesAnyElementUsingEqSemantics() {
            EventFilter f = where("v", "in", "['A',2,true]");
            assertTrue(f.test(json("{'v':'A'}")));
            assertTrue(f.test(json("{'v':2.00}")));
            assertTrue(f.test(json("{'v':true}")));
            assertFalse(f.test(json("{'v':'a'}")));
            assertFalse(f.test(json("{'v':'2'}")));
            assertFalse(f.test(json("{'w':'A'}")));
        }

        @ParameterizedTest(name = "{1} {0} 1000 -> {2}")
        @CsvSource({
            "gt, 1000.5, true", "gt, 1000, false", "gt, 999, false",
            "gte, 1001, true", "gte, 1000, true", "gte, 999.99, false",
            "lt, 999.99, true", "lt, 1000, false", "lt, 1001, false",
            "lte, 999, true", "lte, 1000, true", "lte, 1000.01, false",
        })
        void orderingOpsCompareNumbersAtBoundaries(String op, String amount, boolean expected) {
            EventFilter f = where("transaction.amount", op, "1000");
            assertEquals(expected, f.test(txn("'amount':" + amount)));
            assertEquals(expected, f.test(decimalJson("{'type':'transaction','transaction':{'amount':" + amount + "}}")));
        }

        @Test
        void orderingOpsCompareStringsLexicographically() {
            EventFilter f = filter("{'where':[{'path':'at','op':'gte','value':'2024-01-01T00:00:00Z'},"
                    + "{'path':'at','op':'lt','value':'2024-02-01T00:00:00Z'}]}");
            assertTrue(f.test(json("{'at':'2024-01-01T00:00:00Z'}")));
            assertTrue(f.test(json("{'at':'2024-01-31T23:59:59Z'}")));
            assertFalse(f.test(json("{'at':'2023-12-31T23:59:59Z'}")));
            assertFalse(f.test(json("{'at':'2024-02-01T00:00:00Z'}")));
        }

        @Test
        void orderingOpsDoNotPassFieldOfWrongType() {
            assertFalse(where("amount", "gt", "1000").test(json("{'amount':'5000'}")));
            assertFalse(where("amount", "gt", "1000").test(json("{'amount':true}")));
            assertFalse(where("amount", "gt", "1000").test(json("{'amount':null}")));
            assertFalse(where("at", "lt", "'2024'").test(json("{'at':1}")));
        }

        @Test
        void numericComparisonIsExactForBigDecimalEvents() {
            JsonNode event = JsonNodeFactory.instance.objectNode()
                    .set("amount", DecimalNode.valueOf(new BigDecimal("1000.0000000000000001")));
            assertTrue(where("amount", "gt", "1000").test(event));
            assertFalse(where("amount", "lte", "1000").test(event));
            assertFalse(where("amount", "eq", "1000").test(event));
        }

        @Test
        void numericComparisonIsExactForLargeIntegers() {
            // 2^53 + 1: not representable as a double, equal to 2^53 if compared as doubles
            JsonNode event = json("{'id':9007199254740993}");
            assertTrue(where("id", "eq", "9007199254740993").test(event));
            assertFalse(where("id", "eq", "9007199254740992").test(event));
            assertTrue(where("id", "gt", "9007199254740992").test(event));
        }

        @Test
        void nanEventValueNeverPassesNumericComparison() {
            JsonNode event = JsonNodeFactory.instance.objectNode().set("amount", DoubleNode.valueOf(Double.NaN));
            assertFalse(where("amount", "gte", "0").test(event));
            assertFalse(where("amount", "lte", "0").test(event));
            assertFalse(where("amount", "eq", "0").test(event));
            assertFalse(filter("{'minAmount':0}").test(event));
            assertFalse(filter("{'maxAmount':0}").test(event));
        }

        @Test
        void existsDefaultsToTrueAndPassesOnlyWhenPresent() {
            EventFilter f = filter("{'where':[{'path':'a.b','op':'exists'}]}");
            assertTrue(f.test(json("{'a':{'b':0}}")));
            assertTrue(f.test(json("{'a':{'b':null}}")), "a present null counts as present");
            assertFalse(f.test(json("{'a':{}}")));
            assertFalse(f.test(json("{'a':5}")));
        }

        @Test
        void existsFalsePassesOnlyWhenAbsent() {
            EventFilter f = where("a.b", "exists", "false");
            assertTrue(f.test(json("{'a':{}}")));
            assertTrue(f.test(json("{}")));
            assertFalse(f.test(json("{'a':{'b':false}}")));
        }
    }

    @Nested
    class Paths {

        @Test
        void nestedPathsResolveThroughObjects() {
            EventFilter f = where("a.b.c", "eq", "'x'");
            assertTrue(f.test(json("{'a':{'b':{'c':'x'}}}")));
            assertFalse(f.test(json("{'a':{'b':{'c':'y'}}}")));
            assertFalse(f.test(json("{'a':{'b':'x'}}")));
            assertFalse(f.test(json("{'a.b.c':'x'}")), "dotted path is not a single field name");
        }

        @Test
        void numericSegmentIndexesIntoArrays() {
            EventFilter first = where("items.0.price", "gte", "10");
            EventFilter second = where("items.1.price", "gte", "10");
            JsonNode event = json("{'items':[{'price':12},{'price':5}]}");
            assertTrue(first.test(event));
            assertFalse(second.test(event));
            assertFalse(where("items.2.price", "exists", "true").test(event), "out of range index is absent");
            assertTrue(where("items.2.price", "exists", "false").test(event));
            assertTrue(where("m.1", "eq", "'b'").test(json("{'m':['a','b']}")));
        }

        @Test
        void nonCanonicalNumericSegmentDoesNotIndexArrays() {
            JsonNode event = json("{'m':['a','b']}");
            assertFalse(where("m.01", "exists", "true").test(event));
            assertFalse(where("m.-1", "exists", "true").test(event));
            assertFalse(where("m.x", "exists", "true").test(event));
        }

        @Test
        void numericSegmentAlsoMatchesObjectKey() {
            EventFilter f = where("m.0", "eq", "5");
            assertTrue(f.test(json("{'m':{'0':5}}")));
            assertFalse(f.test(json("{'m':{'1':5}}")));
        }

        @Test
        void pathThroughScalarOrMissingParentDoesNotPass() {
            EventFilter f = where("a.b", "eq", "1");
            assertFalse(f.test(json("{'a':1}")));
            assertFalse(f.test(json("{'a':'b'}")));
            assertFalse(f.test(json("{'a':null}")));
            assertFalse(f.test(json("{}")));
            assertFalse(f.test(null));
        }

        @Test
        void sixteenSegmentPathIsAccepted() {
            String path = "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a";
            EventFilter f = where(path, "exists", "true");
            JsonNode leaf = json("1");
            ObjectNode event = JsonNodeFactory.instance.objectNode();
            ObjectNode cur = event;
            for (int i = 0; i < 15; i++) {
                cur = cur.putObject("a");
            }
            cur.set("a", leaf);
            assertTrue(f.test(event));
            cur.remove("a");
            assertFalse(f.test(event));
        }

        @ParameterizedTest
        @ValueSource(strings = {"eq", "in", "gt", "gte", "lt", "lte", "exists", "neq"})
        void missingFieldDoesNotPass(String op) {
            String value = op.equals("in") ? "[1]" : op.equals("exists") ? "true" : "1";
            EventFilter f = where("x.y", op, value);
            assertFalse(f.test(json("{'x':{}}")));
            assertFalse(f.test(json("{}")));
        }
    }

    @Nested
    class Combination {

        @Test
        void allWhereConditionsMustPass() {
            EventFilter f = filter("{'where':[{'path':'a','op':'gte','value':1},{'path':'b','op':'eq','value':'x'}]}");
            assertTrue(f.test(json("{'a':1,'b':'x'}")));
            assertFalse(f.test(json("{'a':0,'b':'x'}")));
            assertFalse(f.test(json("{'a':1,'b':'y'}")));
        }

        @Test
        void shorthandAndWhereCombineWithAnd() {
            EventFilter f = filter("{'minAmount':1000,'status':'SUCCESS',"
                    + "'where':[{'path':'transaction.currency','op':'eq','value':'EUR'}]}");
            assertTrue(f.test(txn("'amount':5000,'status':'SUCCESS','currency':'EUR'")));
            assertFalse(f.test(txn("'amount':5000,'status':'SUCCESS','currency':'USD'")));
            assertFalse(f.test(txn("'amount':500,'status':'SUCCESS','currency':'EUR'")));
            assertFalse(f.test(txn("'amount':5000,'status':'FAILED','currency':'EUR'")));
        }

        @Test
        void whereIsResolvedFromEventRootEvenWithShorthand() {
            EventFilter f = filter("{'minAmount':1,'where':[{'path':'region','op':'eq','value':'eu'}]}");
            assertTrue(f.test(json("{'type':'transaction','region':'eu','transaction':{'amount':5}}")));
            assertFalse(f.test(json("{'type':'transaction','transaction':{'amount':5,'region':'eu'}}")));
        }

        @Test
        void arrayFormIsEquivalentToWhereObject() {
            EventFilter array = filter("[{'path':'transaction.amount','op':'gte','value':1000},"
                    + "{'path':'transaction.status','op':'in','value':['SUCCESS']}]");
            assertFalse(array.isNone());
            assertTrue(array.test(txn("'amount':1000,'status':'SUCCESS'")));
            assertFalse(array.test(txn("'amount':999,'status':'SUCCESS'")));
            assertFalse(array.test(txn("'amount':1000,'status':'FAILED'")));
        }
    }

    @Nested
    class None {

        @Test
        void nullJsonNullAndMissingParseToNone() throws FilterException {
            assertSame(EventFilter.NONE, EventFilter.parse(null));
            assertSame(EventFilter.NONE, EventFilter.parse(NullNode.getInstance()));
            assertSame(EventFilter.NONE, EventFilter.parse(MissingNode.getInstance()));
        }

        @Test
        void emptyFiltersParseToNone() {
            assertSame(EventFilter.NONE, filter("{}"));
            assertSame(EventFilter.NONE, filter("[]"));
            assertSame(EventFilter.NONE, filter("{'where':[]}"));
        }

        @Test
        void nonePassesEverythingAndHasNoJson() {
            EventFilter none = EventFilter.NONE;
            assertTrue(none.isNone());
            assertNull(none.toJson());
            assertTrue(none.test(txn("'amount':0")));
            assertTrue(none.test(json("{}")));
            assertTrue(none.test(json("[1]")));
            assertTrue(none.test(null));
        }

        @Test
        void nonEmptyFilterIsNotNone() {
            assertFalse(filter("{'status':'A'}").isNone());
            assertFalse(filter("{'where':[{'path':'a','op':'exists'}]}").isNone());
            assertNotNull(filter("{'status':'A'}").toJson());
        }
    }

    @Nested
    class Validation {

        @ParameterizedTest(name = "{0} -> {1}")
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "5                                                   | filters",
            "'SUCCESS'                                           | filters",
            "true                                                | filters",
            "{'minAmont':1}                                      | filters.minAmont",
            "{'status':'A','extra':1}                            | filters.extra",
            "{'minAmount':'1000'}                                | filters.minAmount",
            "{'minAmount':null}                                  | filters.minAmount",
            "{'maxAmount':[1]}                                   | filters.maxAmount",
            "{'maxAmount':true}                                  | filters.maxAmount",
            "{'minAmount':2000,'maxAmount':1000}                 | filters.minAmount",
            "{'minAmount':1000.01,'maxAmount':1000}              | filters.minAmount",
            "{'status':5}                                        | filters.status",
            "{'status':null}                                     | filters.status",
            "{'status':[]}                                       | filters.status",
            "{'status':['A',1]}                                  | filters.status[1]",
            "{'where':{'path':'a','op':'exists'}}                | filters.where",
            "{'where':null}                                      | filters.where",
            "{'where':[5]}                                       | filters.where[0]",
            "{'where':[{'op':'eq','value':1}]}                   | filters.where[0].path",
            "{'where':[{'path':5,'op':'eq','value':1}]}          | filters.where[0].path",
            "{'where':[{'path':'','op':'eq','value':1}]}         | filters.where[0].path",
            "{'where':[{'path':'a..b','op':'eq','value':1}]}     | filters.where[0].path",
            "{'where':[{'path':'.a','op':'eq','value':1}]}       | filters.where[0].path",
            "{'where':[{'path':'a.','op':'eq','value':1}]}       | filters.where[0].path",
            "{'where':[{'path':'a','value':1}]}                  | filters.where[0].op",
            "{'where':[{'path':'a','op':null,'value':1}]}        | filters.where[0].op",
            "{'where':[{'path':'a','op':'like','value':1}]}      | filters.where[0].op",
            "{'where':[{'path':'a','op':'EQ','value':1}]}        | filters.where[0].op",
            "{'where':[{'path':'a','op':'eq','vaule':1}]}        | filters.where[0].vaule",
            "{'where':[{'path':'a','op':'eq'}]}                  | filters.where[0].value",
            "{'where':[{'path':'a','op':'neq'}]}                 | filters.where[0].value",
            "{'where':[{'path':'a','op':'in'}]}                  | filters.where[0].value",
            "{'where':[{'path':'a','op':'in','value':'A'}]}      | filters.where[0].value",
            "{'where':[{'path':'a','op':'in','value':[]}]}       | filters.where[0].value",
            "{'where':[{'path':'a','op':'gt'}]}                  | filters.where[0].value",
            "{'where':[{'path':'a','op':'gte','value':true}]}    | filters.where[0].value",
            "{'where':[{'path':'a','op':'lt','value':null}]}     | filters.where[0].value",
            "{'where':[{'path':'a','op':'lte','value':[1]}]}     | filters.where[0].value",
            "{'where':[{'path':'a','op':'exists','value':'yes'}]}| filters.where[0].value",
            "{'where':[{'path':'a','op':'exists','value':null}]} | filters.where[0].value",
            "[{'path':'a','op':'nope','value':1}]                | filters[0].op",
            "[{'path':'a','op':'eq'}]                            | filters[0].value",
            "[7]                                                 | filters[0]",
        })
        void invalidInputNamesTheOffendingField(String filters, String expectedField) {
            assertRejectedAt(expectedField, json(filters));
        }

        @Test
        void errorInThirdConditionNamesItsIndex() {
            assertRejectedAt("filters.where[2].op", json("{'where':["
                    + "{'path':'a','op':'exists'},{'path':'b','op':'eq','value':1},{'path':'c','op':'between','value':1}]}"));
        }

        @Test
        void errorInsideInArrayNamesTheElement() {
            ObjectNode cond = JsonNodeFactory.instance.objectNode().put("path", "a").put("op", "in");
            cond.putArray("value").add(1).add(Double.NaN);
            ObjectNode filters = JsonNodeFactory.instance.objectNode();
            filters.putArray("where").add(cond);
            assertRejectedAt("filters.where[0].value[1]", filters);
        }

        @Test
        void nonFiniteNumbersAreRejected() {
            assertRejectedAt("filters.minAmount",
                    JsonNodeFactory.instance.objectNode().put("minAmount", Double.NaN));
            assertRejectedAt("filters.maxAmount",
                    JsonNodeFactory.instance.objectNode().put("maxAmount", Double.POSITIVE_INFINITY));
            ObjectNode cond = JsonNodeFactory.instance.objectNode().put("path", "a").put("op", "gt")
                    .put("value", Double.NEGATIVE_INFINITY);
            ObjectNode filters = JsonNodeFactory.instance.objectNode();
            filters.putArray("where").add(cond);
            assertRejectedAt("filters.where[0].value", filters);
        }

        @Test
        void moreThan32ConditionsAreRejected() {
            assertRejectedAt("filters.where", conditions(33, true));
            assertRejectedAt("filters", conditions(33, false));
            assertFalse(parseUnchecked(conditions(32, true)).isNone());
            assertFalse(parseUnchecked(conditions(32, false)).isNone());
        }

        @Test
        void pathDeeperThan16SegmentsIsRejected() {
            String seventeen = "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a";
            assertRejectedAt("filters.where[0].path",
                    json("{'where':[{'path':'" + seventeen + "','op':'exists'}]}"));
        }

        @Test
        void messagesAreHumanReadable() {
            FilterException unknownOp = rejected(json("{'where':[{'path':'a','op':'like','value':1}]}"));
            assertTrue(unknownOp.getMessage().contains("like"), unknownOp.getMessage());
            assertTrue(unknownOp.getMessage().contains("gte"), "lists the allowed ops: " + unknownOp.getMessage());
            FilterException range = rejected(json("{'minAmount':2,'maxAmount':1}"));
            assertTrue(range.getMessage().contains("maxAmount"), range.getMessage());
            FilterException unknownKey = rejected(json("{'minAmont':1}"));
            assertTrue(unknownKey.getMessage().contains("minAmount"), "lists allowed keys: " + unknownKey.getMessage());
            assertTrue(unknownKey.toString().contains("filters.minAmont"), unknownKey.toString());
        }

        private JsonNode conditions(int n, boolean wrapped) {
            ArrayNode list = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < n; i++) {
                list.addObject().put("path", "f" + i).put("op", "exists");
            }
            if (!wrapped) {
                return list;
            }
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.set("where", list);
            return o;
        }

        private EventFilter parseUnchecked(JsonNode filters) {
            try {
                return EventFilter.parse(filters);
            } catch (FilterException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Nested
    class RoundTrip {

        private static final List<JsonNode> EVENTS = List.of(
                json("{'type':'transaction','transaction':{'amount':5000,'status':'SUCCESS','currency':'EUR',"
                        + "'items':[{'price':12}],'at':'2024-01-15T00:00:00Z'}}"),
                json("{'type':'transaction','transaction':{'amount':5000,'status':'SUCCESS','currency':'EUR',"
                        + "'items':[{'price':12}],'at':'2024-01-15T00:00:00Z','flagged':true}}"),
                json("{'type':'transaction','transaction':{'amount':999,'status':'SUCCESS','currency':'EUR',"
                        + "'items':[{'price':12}],'at':'2024-01-15T00:00:00Z'}}"),
                json("{'type':'transaction','transaction':{'amount':5000,'status':'PENDING','currency':'USD',"
                        + "'items':[{'price':12}],'at':'2024-01-15T00:00:00Z'}}"),
                json("{'type':'transaction','transaction':{'amount':5000,'status':'SUCCESS','currency':'EUR',"
                        + "'items':[{'price':1}],'at':'2023-01-15T00:00:00Z'}}"),
                json("{'type':'payout','amount':5000,'status':'SUCCESS'}"),
                json("{}"));

        private static final String COMPLEX = "{'minAmount':1000,'maxAmount':100000.50,'status':['SUCCESS','PENDING'],"
                + "'where':[{'path':'transaction.currency','op':'in','value':['EUR','GBP']},"
                + "{'path':'transaction.items.0.price','op':'gte','value':10},"
                + "{'path':'transaction.at','op':'gte','value':'2024-01-01'},"
                + "{'path':'transaction.status','op':'neq','value':'FAILED'},"
                + "{'path':'transaction.flagged','op':'exists','value':false},"
                + "{'path':'transaction.amount','op':'eq','value':5000.00},"
                + "{'path':'transaction.meta','op':'exists','value':false}]}";

        @Test
        void toJsonReparsesToEquivalentFilter() throws FilterException {
            EventFilter original = filter(COMPLEX);
            EventFilter restored = EventFilter.parse(original.toJson());
            int passed = 0;
            for (JsonNode event : EVENTS) {
                assertEquals(original.test(event), restored.test(event), () -> "differs on " + event);
                if (original.test(event)) {
                    passed++;
                }
            }
            assertEquals(1, passed, "the fixture should exercise both outcomes");
            assertEquals(original.toJson(), restored.toJson(), "canonical form is a fixed point");
        }

        @Test
        void toJsonEchoesTheFilterAsGiven() {
            assertEquals(json(COMPLEX), filter(COMPLEX).toJson());
            assertEquals(json("{'status':'SUCCESS'}"), filter("{'status':'SUCCESS'}").toJson());
        }

        @Test
        void toJsonNormalizesArrayFormAndImplicitExists() throws FilterException {
            EventFilter f = filter("[{'op':'exists','path':'a.b'},{'value':[1,'x'],'path':'c','op':'in'}]");
            JsonNode expected = json("{'where':[{'path':'a.b','op':'exists','value':true},"
                    + "{'path':'c','op':'in','value':[1,'x']}]}");
            assertEquals(expected, f.toJson());
            EventFilter restored = EventFilter.parse(f.toJson());
            assertTrue(restored.test(json("{'a':{'b':1},'c':'x'}")));
            assertFalse(restored.test(json("{'c':'x'}")));
        }

        @Test
        void toJsonReturnsACopyThatCannotChangeTheFilter() {
            EventFilter f = filter("{'minAmount':1000,'where':[{'path':'a','op':'eq','value':'x'}]}");
            JsonNode first = f.toJson();
            assertNotSame(first, f.toJson());
            ((ObjectNode) first).put("minAmount", 0);
            ((ObjectNode) first.get("where").get(0)).put("value", "y");
            assertEquals(json("{'minAmount':1000,'where':[{'path':'a','op':'eq','value':'x'}]}"), f.toJson());
            assertTrue(f.test(json("{'amount':1000,'a':'x'}")));
            assertFalse(f.test(json("{'amount':1000,'a':'y'}")));
        }

        @Test
        void parseDoesNotRetainTheInput() {
            ObjectNode input = (ObjectNode) json("{'status':'A','where':[{'path':'a','op':'eq','value':{'k':1}}]}");
            EventFilter f = filter(input.toString().replace('"', '\''));
            EventFilter fromInput;
            try {
                fromInput = EventFilter.parse(input);
            } catch (FilterException e) {
                throw new AssertionError(e);
            }
            input.put("status", "B");
            ((ObjectNode) input.get("where").get(0).get("value")).put("k", 2);
            JsonNode event = json("{'status':'A','a':{'k':1}}");
            assertTrue(f.test(event));
            assertTrue(fromInput.test(event));
            assertFalse(fromInput.test(json("{'status':'B','a':{'k':2}}")));
            assertEquals(f.toJson(), fromInput.toJson());
        }
    }
}
