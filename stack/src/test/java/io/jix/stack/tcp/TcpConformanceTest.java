package io.jix.stack.tcp;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Runs every {@code tcp/*.pkt} script (see {@link TcpScript} for the format). */
class TcpConformanceTest {

    /** The stack under the scripts: defaults (256 KiB buffers, so window scale 3), TIME-WAIT 2 s to keep scripts short. */
    static TcpConfig config() {
        return TcpConfig.defaults().withTimeWait(2_000_000_000L);
    }

    /**
     * The config with the script's {@code //! nagle}, {@code //! rcvbuf N}, {@code //! challenges N} and
     * {@code //! cc newreno|cubic} directives applied.
     */
    static TcpConfig config(List<String> lines) {
        TcpConfig c = config();
        boolean nagle = false;
        int rcvbuf = c.receiveBuffer();
        int challenges = c.challengeAcksPerSecond();
        CongestionAlgorithm cc = c.congestionControl();
        for (String l : lines) {
            String[] d = l.strip().split("\\s+");
            if (d[0].equals("//!") && d.length > 1) {
                switch (d[1]) {
                    case "nagle" -> nagle = true;
                    case "rcvbuf" -> rcvbuf = Integer.parseInt(d[2]);
                    case "challenges" -> challenges = Integer.parseInt(d[2]);
                    case "cc" -> cc = switch (d[2]) {
                        case "newreno" -> CongestionAlgorithm.NEW_RENO;
                        case "cubic" -> CongestionAlgorithm.CUBIC;
                        default -> throw new IllegalArgumentException("directive " + l);
                    };
                    default -> throw new IllegalArgumentException("directive " + l);
                }
            }
        }
        return new TcpConfig(c.maxConnections(), rcvbuf, c.sendBuffer(), c.sendSegments(), c.oooSegments(),
                c.delayedAckNanos(), c.timeWaitNanos(), c.synRetries(), c.dataRetries(), challenges, nagle, cc);
    }

    @TestFactory
    Stream<DynamicTest> scripts() throws IOException, URISyntaxException {
        Path dir = Path.of(TcpConformanceTest.class.getResource("/tcp").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".pkt")).sorted().toList();
        }
        return files.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
            List<String> lines = Files.readAllLines(p);
            new TcpScript(p.getFileName().toString(), config(lines)).run(lines);
        }));
    }
}
