package io.eventgate.core.filter;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A dotted path pre-split at parse time. Each segment is looked up as a field name in an object;
 * a segment that is a canonical non-negative integer ({@code 0}, {@code 7}, {@code 42}; no sign, no
 * leading zeros) additionally indexes into an array. Immutable.
 */
final class FilterPath {
    static final int MAX_SEGMENTS = 16;

    final String text;
    private final String[] segments;
    /** Array index per segment, or -1 if the segment is not a canonical integer. */
    private final int[] indexes;

    private FilterPath(String text, String[] segments, int[] indexes) {
        this.text = text;
        this.segments = segments;
        this.indexes = indexes;
    }

    static FilterPath parse(String text, String field) throws FilterException {
        if (text.isEmpty()) {
            throw new FilterException(field, "must be a non-empty dotted path");
        }
        int count = 1;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '.') {
                count++;
            }
        }
        if (count > MAX_SEGMENTS) {
            throw new FilterException(field, "must have at most " + MAX_SEGMENTS + " segments (got " + count + ")");
        }
        String[] segments = new String[count];
        int[] indexes = new int[count];
        int start = 0;
        for (int s = 0; s < count; s++) {
            int end = text.indexOf('.', start);
            if (end < 0) {
                end = text.length();
            }
            if (end == start) {
                throw new FilterException(field, "must not contain empty segments (leading, trailing or double dots)");
            }
            String seg = text.substring(start, end);
            segments[s] = seg;
            indexes[s] = arrayIndex(seg);
            start = end + 1;
        }
        return new FilterPath(text, segments, indexes);
    }

    private static int arrayIndex(String seg) {
        int n = seg.length();
        if (n > 9 || (n > 1 && seg.charAt(0) == '0')) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < n; i++) {
            char c = seg.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** The node at this path, or {@code null} if absent. A present JSON {@code null} is returned as a NullNode. */
    JsonNode resolve(JsonNode root) {
        JsonNode n = root;
        for (int i = 0; i < segments.length; i++) {
            if (n == null) {
                return null;
            }
            if (n.isObject()) {
                n = n.get(segments[i]);
            } else if (n.isArray()) {
                int ix = indexes[i];
                n = ix >= 0 ? n.get(ix) : null;
            } else {
                return null;
            }
        }
        return n == null || n.isMissingNode() ? null : n;
    }
}
