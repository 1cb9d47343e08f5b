package io.eventgate.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.eventgate.loadtest.client.FleetSpec;
import io.eventgate.loadtest.scenario.Smoke;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransportTest {
    @Test
    void webSocketIsTheDefaultAndSseIsForEventgateOnly() {
        assertEquals(Transport.WS, Transport.parse(null, Target.EVENTGATE));
        assertEquals(Transport.WS, Transport.parse("ws", Target.SOCKETIO));
        assertEquals(Transport.SSE, Transport.parse("SSE", Target.EVENTGATE));
        for (Target peer : List.of(Target.WS, Target.SOCKETIO)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Transport.parse("sse", peer));
            assertEquals("--transport sse needs --target eventgate: the " + peer.id() + " peer speaks WebSocket only",
                    e.getMessage());
        }
        assertEquals("--transport: expected ws or sse, got \"longpoll\"",
                assertThrows(IllegalArgumentException.class, () -> Transport.parse("longpoll")).getMessage());
    }

    @Test
    void aScenarioRefusesSseAgainstAPeerBeforeStartingAnything() {
        Options o = Options.parse("smoke", new String[] {"--target", "ws", "--transport", "sse", "--start-gateway"});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Smoke.run(o));
        assertEquals("--transport sse needs --target eventgate: the ws peer speaks WebSocket only", e.getMessage());
    }

    @Test
    void workersGetTheTransportWithTheirFleetSpec() throws Exception {
        FleetSpec spec = new FleetSpec("eventgate", List.of("http://127.0.0.1:8080"), List.of(), 0, 10, "s", null,
                100, 10, 1000, 0, List.of("market:x"), "auto", 1, false, "sse").withRange(5, 10, 50);
        FleetSpec received = Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(spec), FleetSpec.class);
        assertEquals("sse", received.transport());
        String older = Json.MAPPER.writeValueAsString(spec).replace(",\"transport\":\"sse\"", "");
        assertNull(Json.MAPPER.readValue(older, FleetSpec.class).transport(), "a spec without it: WebSocket");
    }
}
