package io.eventgate.loadtest;

import io.eventgate.loadtest.client.Worker;
import io.eventgate.loadtest.scenario.Outcome;
import java.util.Arrays;

/** {@code ./scripts/loadtest.sh <command> [options]}; see {@link Options#help()}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int code = run(args);
        System.out.flush();
        System.exit(code);
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            System.out.print(Options.help());
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        try {
            if (command.equals("worker")) {
                return Worker.run();
            }
            Options o = Options.parse(command, Arrays.copyOfRange(args, 1, args.length));
            if (o.flag("help")) {
                System.out.print(Options.help());
                return 0;
            }
            return switch (command) {
                case "smoke" -> exit(io.eventgate.loadtest.scenario.Smoke.run(o));
                case "idle" -> exit(io.eventgate.loadtest.scenario.Idle.run(o));
                case "targeted" -> exit(io.eventgate.loadtest.scenario.Targeted.run(o));
                case "broadcast" -> exit(io.eventgate.loadtest.scenario.Broadcast.run(o));
                case "durable" -> exit(io.eventgate.loadtest.scenario.Durable.run(o));
                case "reconnect-storm" -> exit(io.eventgate.loadtest.scenario.ReconnectStorm.run(o));
                case "cross-node" -> exit(io.eventgate.loadtest.scenario.CrossNode.run(o));
                case "cluster-capacity" -> exit(io.eventgate.loadtest.scenario.ClusterCapacity.run(o));
                case "report" -> io.eventgate.loadtest.report.ReportWriter.run(o);
                default -> {
                    System.err.println("loadtest: unknown command \"" + command + "\" (see --help)");
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            System.err.println("loadtest: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("loadtest: " + command + " failed: " + e);
            e.printStackTrace();
            return 1;
        }
    }

    private static int exit(Outcome outcome) {
        return outcome.passed() ? 0 : 1;
    }
}
