package io.jix.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {

    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void everyCommandAndSubcommandHasHelp() {
        List<List<String>> paths = new ArrayList<>();
        collect(Main.commandLine(), new ArrayList<>(), paths);
        assertThat(paths).extracting(p -> String.join(" ", p))
                .contains("serve echo", "serve sockperf", "stats", "ctl", "testnet up", "testnet down", "testnet status");
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            Run r = run(args.toArray(String[]::new));
            assertThat(r.status()).as("exit status of %s", args).isZero();
            assertThat(r.out()).as("help of %s", args).contains("Usage: jix");
        }
    }

    private static void collect(CommandLine cl, List<String> prefix, List<List<String>> into) {
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            List<String> path = new ArrayList<>(prefix);
            path.add(e.getKey());
            into.add(path);
            collect(e.getValue(), path, into);
        }
    }

    @Test
    void anAddressNoInterfaceHasIsOneClearLine() {
        Run r = run("serve", "echo", "--address", "198.19.255.254", "--port", "0", "--threads", "1");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("jix: bind(").contains("EADDRNOTAVAIL").contains("./jix testnet up")
                .doesNotContain("\tat ");
    }

    @Test
    void statsShowsTheCountersTheDataplaneKeeps(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("echo.stats");
        try (Dataplane d = Dataplane.builder().threads(1).pin(false).tcpPorts(0).name("stats-test").statsPath(file)
                .start(EchoServer.application());
             Socket s = new Socket(InetAddress.getLoopbackAddress(), d.tcpPorts()[0])) {
            for (int i = 0; i < 10; i++) {
                s.getOutputStream().write(new byte[100]);
                s.getInputStream().readNBytes(100);
            }
            // The write side bumps TX after the send returns; wait for it to land.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (d.counter(Counter.TX_BYTES) < 1000 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Run r = run("stats", "--all", file.toString());
            assertThat(r.status()).isZero();
            var counters = ObservabilityTest.dump(r.out());
            assertThat(Long.parseLong(counters.get("rx_bytes")[0])).isEqualTo(d.counter(Counter.RX_BYTES)).isEqualTo(1000);
            assertThat(Long.parseLong(counters.get("tx_bytes")[0])).isEqualTo(d.counter(Counter.TX_BYTES)).isEqualTo(1000);
            assertThat(counters.get("accepts")[0]).isEqualTo("1");
            assertThat(counters.get("open_connections")[0]).isEqualTo("1");
            String header = r.out().lines().filter(l -> l.startsWith("thread")).findFirst().orElseThrow();
            String row = r.out().lines().filter(l -> l.startsWith("0 ")).findFirst().orElseThrow();
            assertThat(column(header, row, "events")).isEqualTo(d.counter(Counter.EVENTS));
            assertThat(column(header, row, "conns")).isEqualTo(1);
            assertThat(r.out()).contains("stats-test").contains("batch sizes");
        }
    }

    /** The value in {@code row} under the column titled {@code title} (columns are right-aligned). */
    private static long column(String header, String row, String title) {
        int end = header.indexOf(title) + title.length();
        Matcher m = Pattern.compile("(-?\\d+)\\s*$").matcher(row.substring(0, end));
        assertThat(m.find()).as("a number under %s", title).isTrue();
        return Long.parseLong(m.group(1));
    }
}
