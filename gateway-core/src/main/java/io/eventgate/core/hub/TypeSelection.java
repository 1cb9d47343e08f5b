package io.eventgate.core.hub;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which event types a subscription delivers: every type (minus an excluded set), or an explicit set. Immutable.
 *
 * <p>Rules, as documented in docs/PROTOCOL.md: subscribing to types when every type is delivered narrows the
 * selection to exactly those types (unless they were only excluded, in which case they are re-included);
 * subscribing to types of an explicit set adds them; unsubscribing removes them from an explicit set, or
 * excludes them from "every type".
 */
public final class TypeSelection {
    public static final TypeSelection ALL = new TypeSelection(true, Set.of());

    private final boolean all;
    /** Excluded types when {@code all}, included types otherwise. */
    private final Set<String> types;

    private TypeSelection(boolean all, Set<String> types) {
        this.all = all;
        this.types = types;
    }

    public static TypeSelection of(Collection<String> types) {
        return types == null ? ALL : new TypeSelection(false, Set.copyOf(new LinkedHashSet<>(types)));
    }

    /** Rebuilds a selection from its stated form ({@link #included()} / {@link #excluded()}). */
    public static TypeSelection restore(Collection<String> included, Collection<String> excluded) {
        if (included != null) {
            return of(included);
        }
        return excluded == null || excluded.isEmpty() ? ALL : new TypeSelection(true, Set.copyOf(excluded));
    }

    public boolean accepts(String type) {
        return all != types.contains(type);
    }

    public TypeSelection add(Collection<String> add) {
        if (all) {
            if (types.isEmpty()) {
                return of(add);
            }
            Set<String> excluded = new LinkedHashSet<>(types);
            excluded.removeAll(add);
            return new TypeSelection(true, Set.copyOf(excluded));
        }
        Set<String> included = new LinkedHashSet<>(types);
        included.addAll(add);
        return new TypeSelection(false, Set.copyOf(included));
    }

    public TypeSelection remove(Collection<String> remove) {
        Set<String> next = new LinkedHashSet<>(types);
        if (all) {
            next.addAll(remove);
        } else {
            next.removeAll(remove);
        }
        return new TypeSelection(all, Set.copyOf(next));
    }

    public boolean all() {
        return all;
    }

    /** Included types (sorted), or null when every type is delivered. */
    public List<String> included() {
        return all ? null : sorted(types);
    }

    /** Excluded types (sorted) when every other type is delivered; empty otherwise. */
    public List<String> excluded() {
        return all ? sorted(types) : List.of();
    }

    private static List<String> sorted(Set<String> set) {
        List<String> list = new ArrayList<>(set);
        list.sort(null);
        return List.copyOf(list);
    }
}
