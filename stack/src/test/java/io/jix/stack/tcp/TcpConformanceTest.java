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

    @TestFactory
    Stream<DynamicTest> scripts() throws IOException, URISyntaxException {
        Path dir = Path.of(TcpConformanceTest.class.getResource("/tcp").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".pkt")).sorted().toList();
        }
        return files.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
            List<String> lines = Files.readAllLines(p);
            new TcpScript(p.getFileName().toString(), config()).run(lines);
        }));
    }
}
