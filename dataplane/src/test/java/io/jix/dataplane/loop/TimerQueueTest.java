package io.jix.dataplane.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TimerQueueTest {

    @Test
    void expiresInDeadlineOrderAndOnlyWhenDue() {
        TimerQueue q = new TimerQueue(0, 1024);
        SplittableRandom r = new SplittableRandom(1);
        List<Long> deadlines = new ArrayList<>();
        List<Long> cancelled = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            long at = r.nextLong(1_000_000);
            long h = q.arm(at, at);
            if (r.nextInt(4) == 0) {
                assertThat(q.cancel(h)).isTrue();
                assertThat(q.cancel(h)).isFalse();
                cancelled.add(at);
            } else {
                deadlines.add(at);
            }
        }
        deadlines.sort(null);
        EventBatch batch = new EventBatch(64);
        List<Long> fired = new ArrayList<>();
        for (long now = 0; now <= 1_000_000; now += 10_000) {
            while (q.expire(now, batch) > 0) {
                for (int i = 0; i < batch.size(); i++) {
                    long at = (Long) batch.cookie(i);
                    assertThat(at).isLessThanOrEqualTo(now);
                    fired.add(at);
                }
                batch.clear();
            }
        }
        assertThat(fired).isEqualTo(deadlines);
        assertThat(q.size()).isZero();
        assertThat(q.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void fullQueueRefusesAndRecovers() {
        TimerQueue q = new TimerQueue(0, 2);
        long a = q.arm("a", 10);
        q.arm("b", 20);
        assertThat(q.arm("c", 30)).isEqualTo(-1);
        q.cancel(a);
        assertThat(q.arm("c", 30)).isPositive();
    }
}
