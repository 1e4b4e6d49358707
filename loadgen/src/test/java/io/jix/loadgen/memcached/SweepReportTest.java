package io.jix.loadgen.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepReportTest {

    private static Sweep.Result sweep(String server, double scale) {
        return new Sweep.Result(server, "etc", 500, List.of(
                SweepTest.step(100_000 * scale, 99_000 * scale, 80),
                SweepTest.step(200_000 * scale, 198_000 * scale, 300),
                SweepTest.step(300_000 * scale, 250_000 * scale, 9000)), "2 steps missed the SLA");
    }

    @Test
    void theCsvHasARowPerServerAndStepAndReadsBack(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("sub/sweep.csv");
        List<Sweep.Result> written = List.of(sweep("jix-xdp", 3), sweep("memcached", 1));
        SweepReport.writeCsv(csv, written);
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(7);
        assertThat(lines.get(0)).isEqualTo(SweepReport.CSV_HEADER);
        assertThat(lines.get(1)).startsWith("jix-xdp,etc,500,300000,297000.0,");
        List<Sweep.Result> read = SweepReport.readCsv(csv);
        assertThat(read).extracting(Sweep.Result::server).containsExactly("jix-xdp", "memcached");
        assertThat(read.get(1).steps()).hasSize(3);
        assertThat(read.get(1).best()).get().extracting(StepResult::achievedQps).isEqualTo(198_000.0);
        assertThat(read.get(0).stopped()).isEqualTo("2 steps missed the SLA");
        assertThat(read.get(0).steps().get(1)).isEqualTo(written.get(0).steps().get(1));
    }

    @Test
    void aFileThatIsNotASweepIsACleanError(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.csv");
        Files.writeString(f, "a,b\n1,2\n");
        assertThatThrownBy(() -> SweepReport.readCsv(f)).isInstanceOf(IOException.class).hasMessageContaining("header");
        Files.writeString(f, SweepReport.CSV_HEADER + "\nmemcached,etc,500\n");
        assertThatThrownBy(() -> SweepReport.readCsv(f)).isInstanceOf(IOException.class).hasMessageContaining(":2:");
    }

    @Test
    void theTablePutsTheBestStepsSideBySideWithRatios() {
        String table = SweepReport.table(List.of(sweep("jix-xdp", 3), sweep("memcached", 1),
                new Sweep.Result("broken", "etc", 500, List.of(SweepTest.step(1000, 1000, 800)), "x")), "memcached");
        assertThat(table).contains("| jix-xdp | 594,000 | 150 | 300 | 2,000 (process) | 2,100 | 25% | 3.00× | 1.00× |")
                .contains("| memcached | 198,000 |").contains("| broken | none (no step within the SLA) |");
    }

    @Test
    void thePlotIsAPng(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("plot.png");
        LatencyPlot.write(png, "memcached ETC", List.of(sweep("jix-xdp", 3), sweep("memcached", 1)));
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1000);
        assertThat(image.getHeight()).isEqualTo(640);
        // Something was drawn in the first series' colour.
        boolean red = false;
        for (int x = 0; x < image.getWidth() && !red; x++) {
            for (int y = 0; y < image.getHeight() && !red; y++) {
                red = (image.getRGB(x, y) & 0xffffff) == 0xd62728;
            }
        }
        assertThat(red).isTrue();
        assertThat(LatencyPlot.niceCeiling(420_000)).isEqualTo(500_000);
        assertThat(LatencyPlot.niceCeiling(180_000)).isEqualTo(200_000);
    }
}
