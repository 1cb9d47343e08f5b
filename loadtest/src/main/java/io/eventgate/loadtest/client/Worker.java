package io.eventgate.loadtest.client;

import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.ProcStats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The {@code worker} command: a {@link LocalFleet} driven by a {@link RemoteFleet} over stdin/stdout. */
public final class Worker {
    private Worker() {}

    public static int run() throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.setOut(System.err); // anything else printed must not corrupt the protocol
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String specLine = in.readLine();
        if (specLine == null) {
            return 2;
        }
        FleetSpec spec = Json.MAPPER.readValue(specLine, FleetSpec.class);
        LocalFleet fleet = new LocalFleet(spec);
        try {
            fleet.start();
            out.println("{\"started\":true}");
            String line;
            while ((line = in.readLine()) != null) {
                try {
                    if (line.equals("progress")) {
                        Progress p = fleet.progress();
                        out.println(Json.write(new Progress(p.connections(), p.opened(), p.failed(),
                                p.closedUnexpectedly(), p.received(), p.errors(), p.pings(), ProcStats.selfCpuNanos(),
                                p.openPerUrl()).toJson()));
                    } else if (line.startsWith("phase ")) {
                        out.println(Json.write(fleet.phase(Integer.parseInt(line.substring(6).trim())).toJson()));
                    } else if (line.equals("spreads")) {
                        ReceiveStats r = new ReceiveStats();
                        r.spreads.putAll(fleet.spreads());
                        out.println(Json.write(r.toJson()));
                    } else if (line.equals("finish")) {
                        ReceiveStats r = fleet.finish();
                        r.clientCpuNanos = ProcStats.selfCpuNanos();
                        out.println(Json.write(r.toJson()));
                        return 0;
                    } else {
                        out.println("{\"error\":\"unknown command " + Json.escape(line) + "\"}");
                    }
                } catch (Exception e) {
                    out.println("{\"error\":\"" + Json.escape(String.valueOf(e)) + "\"}");
                }
            }
            return 1; // the coordinator went away
        } finally {
            fleet.close();
        }
    }
}
