package io.eventgate.protocol;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Keeps docs/PROTOCOL.md in step with the error and close-code catalogues. */
class ProtocolDocTest {
    private static final Path DOC = Path.of("..", "docs", "PROTOCOL.md");
    private static String doc;

    @BeforeAll
    static void read() throws IOException {
        assertTrue(Files.isRegularFile(DOC), "missing " + DOC.toAbsolutePath().normalize());
        doc = Files.readString(DOC, StandardCharsets.UTF_8);
    }

    @Test
    void everyErrorCodeIsDocumented() {
        List<String> missing = new ArrayList<>();
        for (ErrorCode code : ErrorCode.values()) {
            if (!Pattern.compile("\\b" + code.name() + "\\b").matcher(doc).find()) {
                missing.add(code.name());
            }
        }
        assertTrue(missing.isEmpty(), "error codes missing from docs/PROTOCOL.md: " + missing);
    }

    @Test
    void everyCloseCodeIsDocumented() {
        List<String> missing = new ArrayList<>();
        for (CloseCode code : CloseCode.values()) {
            if (!Pattern.compile("\\b" + code.code() + "\\b").matcher(doc).find()) {
                missing.add(code.code() + " (" + code.name() + ")");
            }
        }
        assertTrue(missing.isEmpty(), "close codes missing from docs/PROTOCOL.md: " + missing);
    }
}
