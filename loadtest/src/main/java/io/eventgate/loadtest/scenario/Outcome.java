package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;

/** What a scenario run produced: its results JSON, the checks that failed (empty = passed), the file written. */
public record Outcome(ObjectNode result, List<String> failures, Path file) {
    public boolean passed() {
        return failures.isEmpty();
    }
}
