package io.jix.dataplane;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatsFileTest {

    @Test
    void aReaderSeesCountersHistogramAndTopologyAsWritten(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("t.stats");
        try (StatsFile w = StatsFile.create(path, "topo", 4242, 3, 5); StatsFile r = StatsFile.open(path)) {
            assertThat(r.threads()).isEqualTo(3);
            assertThat(r.groups()).isEqualTo(5);
            assertThat(r.name()).isEqualTo("topo");
            assertThat(r.pid()).isEqualTo(4242);
            // Until told otherwise: every thread runs, group g on thread g % threads.
            StatsSnapshot s = r.snapshot();
            assertThat(s.running(0) && s.running(1) && s.running(2)).isTrue();
            assertThat(s.groupsOf(0)).containsExactly(0, 3);
            assertThat(s.groupsOf(1)).containsExactly(1, 4);
            assertThat(s.groupsOf(2)).containsExactly(2);

            long version = r.topologyVersion();
            w.setThreadState(2, StatsFile.PARKED);
            w.setGroupOwner(2, 0);
            w.setGroupOwner(4, StatsFile.IN_TRANSIT);
            assertThat(r.topologyVersion()).isEqualTo(version + 3);

            MemorySegment block = w.threadBlock(1);
            block.set(JAVA_LONG, Counter.EVENTS.ordinal() * 8L, 1234);
            block.set(JAVA_LONG, StatsFile.histogramOffset() + 3 * 8L, 7);
            block.set(JAVA_LONG, StatsFile.histogramOffset() + 64 * 8L, 2);
            w.threadBlock(0).set(JAVA_LONG, Counter.EVENTS.ordinal() * 8L, 6);

            s = r.snapshot();
            assertThat(s.get(1, Counter.EVENTS)).isEqualTo(1234);
            assertThat(s.sum(Counter.EVENTS)).isEqualTo(1240).isEqualTo(r.sum(Counter.EVENTS));
            assertThat(s.histogram(1, 3)).isEqualTo(7).isEqualTo(r.histogram(1, 3));
            assertThat(s.histogram(1, 64)).isEqualTo(2);
            assertThat(s.histogram(1, 500)).as("64 and above share the last bucket").isEqualTo(2);
            assertThat(s.running(2)).isFalse();
            assertThat(r.threadState(2)).isEqualTo(StatsFile.PARKED);
            assertThat(s.groupsOf(0)).containsExactly(0, 2, 3);
            assertThat(s.groupsOf(StatsFile.IN_TRANSIT)).containsExactly(4);
            assertThat(r.groupOwner(4)).isEqualTo(StatsFile.IN_TRANSIT);

            String text = StatsText.counters(s);
            assertThat(text).contains("# topo, pid 4242, 3 elastic thread(s), 5 flow group(s)");
            assertThat(text.lines().filter(l -> l.startsWith("events ")).findFirst().orElseThrow().split("\\s+"))
                    .containsExactly("events", "6", "1234", "0", "1240");
            assertThat(text.lines().filter(l -> l.startsWith("state ")).findFirst().orElseThrow().split("\\s+"))
                    .containsExactly("state", "running", "running", "parked");
            assertThat(text.lines().filter(l -> l.startsWith("groups ")).findFirst().orElseThrow().split("\\s+"))
                    .containsExactly("groups", "0,2,3", "1", "-", "4");
            assertThat(text).contains("batch_size_3 ").contains("batch_size_64+ ").doesNotContain("batch_size_4 ");
        }
        assertThat(path).doesNotExist();
    }

    @Test
    void theFourArgumentFormHasOneGroupPerThread(@TempDir Path dir) {
        try (StatsFile f = StatsFile.create(dir.resolve("a.stats"), "a", 1, 4)) {
            assertThat(f.groups()).isEqualTo(4);
            assertThat(f.snapshot().groupsOf(3)).containsExactly(3);
        }
    }

    @Test
    void settersCheckTheirArgumentsAndAReaderCannotWrite(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("b.stats");
        try (StatsFile w = StatsFile.create(path, "b", 1, 2, 2); StatsFile r = StatsFile.open(path)) {
            assertThatThrownBy(() -> w.setThreadState(0, 7)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.setThreadState(2, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> w.setGroupOwner(0, 2)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.setGroupOwner(2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> r.setGroupOwner(0, 1)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> r.threadBlock(0)).isInstanceOf(IllegalStateException.class);
            assertThat(r.commandChannel()).isNull();
            w.setCommandChannel(dir.resolve("b.stats.sock"));
            assertThat(r.commandChannel()).isEqualTo(dir.resolve("b.stats.sock"));
        }
        assertThatThrownBy(() -> StatsFile.create(dir.resolve("c.stats"), "c", 1, 1, StatsFile.MAX_GROUPS + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void filesThatAreNotStatsFilesAreRefusedWithAReason(@TempDir Path dir) throws IOException {
        Path garbage = dir.resolve("garbage.stats");
        Files.write(garbage, new byte[4096]);
        assertThatThrownBy(() -> StatsFile.open(garbage)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a jix stats file of version 3");
        Path tiny = dir.resolve("tiny.stats");
        Files.write(tiny, new byte[10]);
        assertThatThrownBy(() -> StatsFile.open(tiny)).isInstanceOf(IOException.class).hasMessageContaining("too small");
        Path good = dir.resolve("good.stats");
        try (StatsFile w = StatsFile.create(good, "g", 1, 2, 2)) {
            assertThat(w.path()).isEqualTo(good);
            Path truncated = dir.resolve("truncated.stats");
            Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(good), 1024));
            assertThatThrownBy(() -> StatsFile.open(truncated)).isInstanceOf(IOException.class)
                    .hasMessageContaining("truncated");
        }
    }
}
