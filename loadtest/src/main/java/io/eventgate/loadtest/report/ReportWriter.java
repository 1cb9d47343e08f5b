package io.eventgate.loadtest.report;

import io.eventgate.loadtest.Options;

/** Placeholder. */
public final class ReportWriter {
    private ReportWriter() {}

    public static int run(Options o) {
        throw new UnsupportedOperationException("not yet");
    }
}
