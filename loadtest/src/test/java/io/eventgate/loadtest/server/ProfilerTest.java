package io.eventgate.loadtest.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class ProfilerTest {

    @Test
    void categoriesFollowTheLeafFrameAndTheThread(@TempDir Path dir) throws Exception {
        Path collapsed = dir.resolve("p.collapsed");
        Files.writeString(collapsed, String.join("\n",
                "java/lang/Thread.run;io/netty/channel/epoll/AbstractEpollChannel.doWriteBytes;__GI___send;"
                        + "entry_SYSCALL_64_after_hwframe_[k];__x64_sys_sendto_[k];tcp_sendmsg_[k] 6",
                "java/lang/Thread.run;io/netty/channel/epoll/EpollIoHandler.run;epoll_wait;__x64_sys_epoll_wait_[k] 2",
                "java/lang/Thread.run;__GI___send;__x64_sys_sendto_[k];tcp_sendmsg_[k];__dev_queue_xmit_[k];"
                        + "net_rx_action_[k];process_backlog_[k];__netif_receive_skb_[k];tcp_v4_rcv_[k] 5",
                "thread_native_entry;Thread::call_run;WorkerThread::run;G1ParScanThreadState::trim_queue 1",
                "thread_native_entry;CompileBroker::compiler_thread_loop;C2Compiler::compile_method 1",
                "java/lang/Thread.run;io/eventgate/server/api/RestApi.publish;"
                        + "com/fasterxml/jackson/core/json/UTF8StreamJsonParser.nextToken 3",
                "java/lang/Thread.run;io/eventgate/core/hub/Hub.dispatch 2",
                "") + "\n");
        ObjectNode s = Profiler.summarize(collapsed);
        assertEquals(20, s.get("samples").asLong());
        assertTrue(s.get("kernelFrames").asBoolean());
        JsonNode c = s.get("categoriesPercent");
        assertEquals(30.0, c.get("kernel: socket writes").asDouble());
        assertEquals(25.0, c.get(Profiler.LOOPBACK_RECEIVE).asDouble());
        assertEquals(15.0, c.get("Jackson").asDouble());
        assertEquals(10.0, c.get("kernel: epoll").asDouble());
        assertEquals(10.0, c.get("eventgate").asDouble());
        assertEquals(5.0, c.get("GC and VM threads").asDouble());
        assertEquals(5.0, c.get("JIT compiler threads").asDouble());
        assertEquals("tcp_sendmsg_[k]", s.get("topSelfFrames").get(0).get("frame").asText());
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"})
    void profilesAnotherJvmOverAWindow(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-XX:+EnableDynamicAgentLoading", "-cp",
                System.getProperty("java.class.path"), BusyChild.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8)); Writer in = child.outputWriter()) {
            assertEquals("ready", out.readLine());
            Profiler profiler = Profiler.start(List.of(child.pid()), dir, "busy", "itimer");
            in.write("go\n");
            in.flush();
            String line;
            do {
                line = out.readLine(); // the agent prints its own lines ("Profiling started") to the same stdout
            } while (line != null && !line.startsWith("done"));
            assertTrue(line != null, "the child computed");
            ArrayNode summary = profiler.stop();
            assertEquals(1, summary.size());
            JsonNode node = summary.get(0);
            assertEquals(child.pid(), node.get("pid").asLong());
            assertTrue(node.get("samples").asLong() > 10, "samples: " + node);
            boolean spinSeen = false;
            for (JsonNode f : node.get("topSelfFrames")) {
                spinSeen |= f.get("frame").asText().contains("BusyChild.spin");
            }
            assertTrue(spinSeen, "the busy method is the top of the profile: " + node.get("topSelfFrames"));
            assertTrue(Files.size(dir.resolve("busy-" + child.pid() + ".html")) > 0, "flame graph written");
            assertTrue(Files.size(dir.resolve("busy-" + child.pid() + ".collapsed")) > 0, "stacks written");
        } finally {
            child.destroy();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
