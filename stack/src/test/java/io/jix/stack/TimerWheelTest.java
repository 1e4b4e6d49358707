package io.jix.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimerWheelTest {

    @Test
    void everyTimerFiresAtItsTickNeverEarlyAcrossAllLevels() {
        long tick = 16_000; // IX's 16 µs
        long start = 1_000_000_000L;
        TimerWheel wheel = new TimerWheel(20_000, tick, start);
        SplittableRandom r = new SplittableRandom(3);
        Map<Integer, Long> due = new HashMap<>();
        long now = start;
        long[] spans = {tick * 200, tick * 60_000, tick * 10_000_000L, tick * 40_000_000L}; // level 0, 1, 2, beyond
        for (int i = 0; i < 10_000; i++) {
            int t = wheel.allocate(i);
            long at = now + r.nextLong(spans[r.nextInt(spans.length)]);
            wheel.schedule(t, at);
            due.put(t, at);
        }
        // Cancel and move some.
        for (int i = 0; i < 2_000; i++) {
            int t = r.nextInt(10_000);
            if (r.nextBoolean()) {
                wheel.cancel(t);
                due.remove(t);
            } else {
                long at = now + r.nextLong(spans[r.nextInt(spans.length)]);
                wheel.schedule(t, at);
                due.put(t, at);
            }
        }
        int[] firedCount = {0};
        long limit = now + spans[3] + 2 * tick;
        while (now < limit) {
            now += r.nextLong(tick * 50_000L) + 1;
            long current = now;
            wheel.advance(now, (timer, data) -> {
                long at = due.remove(timer);
                long tickOfDeadline = Math.ceilDiv(at - start, tick);
                long tickNow = Math.floorDiv(current - start, tick);
                assertThat(tickOfDeadline).as("timer %d fired early", timer).isLessThanOrEqualTo(tickNow);
                firedCount[0]++;
            });
            // Nothing overdue is still waiting.
            for (Map.Entry<Integer, Long> e : due.entrySet()) {
                assertThat(Math.ceilDiv(e.getValue() - start, tick)).as("timer %d is late", e.getKey())
                        .isGreaterThan(Math.floorDiv(now - start, tick));
            }
        }
        assertThat(due).isEmpty();
        assertThat(wheel.pending()).isZero();
        assertThat(firedCount[0]).isPositive();
    }

    @Test
    void firesExactlyOnTheDeadlineTickAtLevelBoundaries() {
        TimerWheel wheel = new TimerWheel(16, 1, 0);
        long[] deadlines = {1, 255, 256, 257, 65_535, 65_536, 65_537, 16_777_216, 16_777_217 + 300};
        Map<Integer, Long> due = new HashMap<>();
        for (long d : deadlines) {
            int t = wheel.allocate(d);
            wheel.schedule(t, d);
            due.put(t, d);
        }
        for (long now = 1; now <= deadlines[deadlines.length - 1]; now++) {
            long n = now;
            wheel.advance(now, (timer, data) -> assertThat(data).isEqualTo(n));
        }
        assertThat(wheel.pending()).isZero();
    }

    @Test
    void reschedulingFromTheExpiryCallbackWorks() {
        TimerWheel wheel = new TimerWheel(1, 10, 0);
        int t = wheel.allocate(0);
        wheel.schedule(t, 100);
        int[] fired = {0};
        for (long now = 0; now <= 1_000; now += 10) {
            wheel.advance(now, (timer, data) -> {
                fired[0]++;
                wheel.schedule(timer, 100L * (fired[0] + 1));
            });
        }
        assertThat(fired[0]).isEqualTo(10);
    }
}
