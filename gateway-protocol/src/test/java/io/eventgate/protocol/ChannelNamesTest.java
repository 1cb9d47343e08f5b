package io.eventgate.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ChannelNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"user:42", "a:b", "market:BTC-USD", "public:news", "ns_1-x:A.b:c@d=e+f_g-h",
            "user:alice@example.com", "market:a:b:c", "0:0", "-:_"})
    void validNamesHaveNoProblem(String channel) {
        assertNull(ChannelNames.problem(channel));
    }

    @Test
    void namespaceOfExactlyMaxLengthIsValid() {
        assertNull(ChannelNames.problem("n".repeat(ChannelNames.MAX_NAMESPACE_LENGTH) + ":x"));
    }

    @Test
    void nameOfExactlyMaxLengthIsValid() {
        assertNull(ChannelNames.problem("ns:" + "a".repeat(ChannelNames.MAX_NAME_LENGTH)));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"nocolon", ":name", ":", "ns:", "Ns:x", "NS:x", "n s:x", "ns.x:y", "ns@:y", "ns/x:y",
            "ns:a b", "ns:a*b", "ns:*", "ns:a/b", "ns:a#b", "ns:a,b", "ns:\u00e9", "\u00e9:x", "ns:a\tb", "ns:a\nb",
            " ns:x", "ns:x "})
    void invalidNamesHaveAProblem(String channel) {
        assertNotNull(ChannelNames.problem(channel));
    }

    @Test
    void namespaceLongerThanMaxHasAProblem() {
        assertEquals("channel namespace longer than " + ChannelNames.MAX_NAMESPACE_LENGTH,
                ChannelNames.problem("n".repeat(ChannelNames.MAX_NAMESPACE_LENGTH + 1) + ":x"));
    }

    @Test
    void nameLongerThanMaxHasAProblem() {
        assertEquals("channel name longer than " + ChannelNames.MAX_NAME_LENGTH,
                ChannelNames.problem("ns:" + "a".repeat(ChannelNames.MAX_NAME_LENGTH + 1)));
    }

    @Test
    void namespaceIsTheTextBeforeTheFirstColon() {
        assertEquals("market", ChannelNames.namespace("market:a:b"));
    }

    @Test
    void userChannelIsInTheUserNamespace() {
        assertEquals("user:alice", ChannelNames.userChannel("alice"));
        assertNull(ChannelNames.problem(ChannelNames.userChannel("alice")));
    }
}
