package io.eventgate.loadtest.server;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** A child JVM for {@link ProfilerTest}: on "go" it computes for a while, then says "done". */
public final class BusyChild {
    private BusyChild() {}

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("ready");
        System.out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("go")) {
                System.out.println("done " + spin(400_000_000L));
                System.out.flush();
            }
        }
    }

    static long spin(long iterations) {
        long x = 1;
        for (long i = 0; i < iterations; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            if ((x & 0xffff) == 0) {
                x ^= System.identityHashCode(args());
            }
        }
        return x;
    }

    private static Object args() {
        return BusyChild.class;
    }
}
