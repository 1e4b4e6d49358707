package io.jix.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stepped schedule against a blocking echo server on loopback: one report per second, each at its step's rate. */
class SteppedLoadTest {

    record Seen(int second, double offered, long replies, long p99) {
    }

    @Test
    void eachSecondIsReportedAtItsStepsRate() throws Exception {
        try (ServerSocket ss = BenchLoadGeneratorTest.server(0, 0)) {
            List<Seen> seen = new ArrayList<>();
            LoadGenerator.Result r = SteppedLoad.run(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                            ss.getLocalPort()), 4, 4, List.of(new SteppedLoad.Step(1_000, 1), new SteppedLoad.Step(4_000, 2)),
                    new EchoWorkload(64), (second, offered, latency) -> seen.add(new Seen(second, offered,
                            latency.getTotalCount(), latency.getValueAtPercentile(99))));

            assertThat(seen).extracting(Seen::second).containsExactly(1, 2, 3);
            assertThat(seen).extracting(Seen::offered).containsExactly(1_000.0, 4_000.0, 4_000.0);
            // Paced, not closed loop: each second carries its step's rate (a loaded CI box may run a little late).
            assertThat(seen.get(0).replies()).isBetween(850L, 1_050L);
            assertThat(seen.get(1).replies()).isBetween(3_400L, 4_200L);
            assertThat(seen.get(2).replies()).isBetween(3_400L, 4_200L);
            assertThat(seen).allSatisfy(s -> assertThat(s.p99()).isPositive());
            assertThat(r.errors()).isZero();
            assertThat(r.lostConnections()).isZero();
            // The run's totals are the seconds' sum plus whatever completed after the last report.
            assertThat(r.requests()).isGreaterThanOrEqualTo(seen.stream().mapToLong(Seen::replies).sum());
            assertThat(r.latency().getTotalCount()).isEqualTo(r.requests());
        }
    }

    @Test
    void aStepChangeRestartsTheConnectionsEvenlySpreadNotBunched() {
        // 4 connections: 4,000/s (1 ms apart per connection) for 1 s, then 400/s (10 ms apart).
        Pacing p = SteppedLoad.pacing(List.of(new SteppedLoad.Step(4_000, 1), new SteppedLoad.Step(400, 1)), 4);
        long second = 1_000_000_000L;
        for (int id = 0; id < 4; id++) {
            long due = p.first(id);
            assertThat(due).isEqualTo(250_000L * id);
            long previous = due;
            while (due < second) {
                previous = due;
                due = p.next(due, id);
            }
            assertThat(second - previous).as("last due of the fast step, connection %d", id).isLessThanOrEqualTo(1_000_000L);
            // The slow step starts where the first did: id/4 of its 10 ms interval in.
            assertThat(due).as("first due of the slow step, connection %d", id).isEqualTo(second + 2_500_000L * id);
            assertThat(p.next(due, id)).isEqualTo(due + 10_000_000L);
        }
    }

    @Test
    void refusesAnEmptyOrNonsenseSchedule() {
        assertThatThrownBy(() -> new SteppedLoad.Step(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SteppedLoad.Step(100, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SteppedLoad.run(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9), 1, 1,
                List.of(), new EchoWorkload(64), (s, o, l) -> { })).isInstanceOf(IllegalArgumentException.class);
    }
}
