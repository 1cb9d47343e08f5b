package io.eventgate.core.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TypeSelectionTest {

    @Test
    void allAcceptsEveryTypeAndExcludesNothing() {
        assertTrue(TypeSelection.ALL.all());
        assertTrue(TypeSelection.ALL.accepts("anything"));
        assertTrue(TypeSelection.ALL.accepts(""));
        assertNull(TypeSelection.ALL.included());
        assertEquals(List.of(), TypeSelection.ALL.excluded());
    }

    @Test
    void ofNullIsAll() {
        assertSame(TypeSelection.ALL, TypeSelection.of(null));
    }

    @Test
    void ofTypesAcceptsExactlyThoseTypes() {
        TypeSelection s = TypeSelection.of(List.of("b", "a", "b"));
        assertFalse(s.all());
        assertTrue(s.accepts("a"));
        assertTrue(s.accepts("b"));
        assertFalse(s.accepts("c"));
        assertEquals(List.of("a", "b"), s.included(), "included types are distinct and sorted");
        assertEquals(List.of(), s.excluded());
    }

    @Test
    void ofAnEmptyListAcceptsNothing() {
        TypeSelection s = TypeSelection.of(List.of());
        assertFalse(s.all());
        assertFalse(s.accepts("a"));
        assertEquals(List.of(), s.included());
    }

    @Test
    void addingTypesToAllNarrowsToExactlyThoseTypes() {
        TypeSelection s = TypeSelection.ALL.add(List.of("a", "b"));
        assertFalse(s.all());
        assertTrue(s.accepts("a"));
        assertTrue(s.accepts("b"));
        assertFalse(s.accepts("c"));
        assertEquals(List.of("a", "b"), s.included());
    }

    @Test
    void addingTypesToAnExplicitSetAddsThem() {
        TypeSelection s = TypeSelection.of(List.of("a")).add(List.of("b", "a"));
        assertFalse(s.all());
        assertEquals(List.of("a", "b"), s.included());
        assertFalse(s.accepts("c"));
    }

    @Test
    void removingTypesFromAllExcludesThem() {
        TypeSelection s = TypeSelection.ALL.remove(List.of("noise", "debug"));
        assertTrue(s.all());
        assertFalse(s.accepts("noise"));
        assertFalse(s.accepts("debug"));
        assertTrue(s.accepts("order.created"));
        assertNull(s.included());
        assertEquals(List.of("debug", "noise"), s.excluded(), "excluded types are sorted");
    }

    @Test
    void addingAnExcludedTypeReincludesItAndKeepsEveryOtherType() {
        TypeSelection s = TypeSelection.ALL.remove(List.of("x", "y")).add(List.of("x"));
        assertTrue(s.all(), "re-including an excluded type must not narrow to only that type");
        assertTrue(s.accepts("x"));
        assertFalse(s.accepts("y"));
        assertTrue(s.accepts("other"));
        assertEquals(List.of("y"), s.excluded());
    }

    @Test
    void reincludingEveryExcludedTypeGivesBackEveryType() {
        TypeSelection s = TypeSelection.ALL.remove(List.of("x")).add(List.of("x"));
        assertTrue(s.all());
        assertTrue(s.accepts("x"));
        assertEquals(List.of(), s.excluded());
    }

    @Test
    void addingATypeWhileSomeAreExcludedDeliversItAndKeepsTheOthersExcluded() {
        TypeSelection s = TypeSelection.ALL.remove(List.of("x")).add(List.of("z"));
        assertTrue(s.accepts("z"));
        assertFalse(s.accepts("x"));
    }

    @Test
    void removingTypesFromAnExplicitSetRemovesThem() {
        TypeSelection s = TypeSelection.of(List.of("a", "b", "c")).remove(List.of("b", "unknown"));
        assertFalse(s.all());
        assertEquals(List.of("a", "c"), s.included());
        assertFalse(s.accepts("b"));
        assertFalse(s.accepts("unknown"));
    }

    @Test
    void removingEveryExplicitTypeLeavesAnEmptySetNotEveryType() {
        TypeSelection s = TypeSelection.of(List.of("a")).remove(List.of("a"));
        assertFalse(s.all());
        assertFalse(s.accepts("a"));
        assertFalse(s.accepts("b"));
        assertEquals(List.of(), s.included());
    }

    @Test
    void changesReturnNewSelectionsAndLeaveTheOriginalUnchanged() {
        TypeSelection base = TypeSelection.of(List.of("a"));
        base.add(List.of("b"));
        base.remove(List.of("a"));
        assertEquals(List.of("a"), base.included());
        TypeSelection.ALL.remove(List.of("x"));
        assertTrue(TypeSelection.ALL.accepts("x"));
    }

    @Test
    void laterChangesToTheSourceListDoNotLeakIn() {
        List<String> source = new ArrayList<>(List.of("a"));
        TypeSelection s = TypeSelection.of(source);
        source.add("b");
        assertFalse(s.accepts("b"));
    }

    @Test
    void listsReturnedAreImmutable() {
        TypeSelection s = TypeSelection.of(List.of("a"));
        assertThrows(UnsupportedOperationException.class, () -> s.included().add("b"));
        assertThrows(UnsupportedOperationException.class,
                () -> TypeSelection.ALL.remove(List.of("x")).excluded().add("y"));
    }
}
