package io.jix.dataplane.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TaskQueueTest {

    @Test
    void manyProducersOneConsumerLoseNothingAndKeepEachProducersOrder() throws Exception {
        TaskQueue q = new TaskQueue(1024);
        int producers = 4;
        int perProducer = 200_000;
        long[] lastSeen = new long[producers];
        java.util.Arrays.fill(lastSeen, -1);
        AtomicLong outOfOrder = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        Thread[] threads = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads[p] = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perProducer; i++) {
                    int seq = i;
                    Runnable task = () -> {
                        if (lastSeen[id] != seq - 1) {
                            outOfOrder.incrementAndGet();
                        }
                        lastSeen[id] = seq;
                    };
                    while (!q.offer(task)) {
                        Thread.onSpinWait();
                    }
                }
            });
        }
        go.countDown();
        long consumed = 0;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (consumed < (long) producers * perProducer && System.nanoTime() < deadline) {
            Runnable t = q.poll();
            if (t != null) {
                t.run();
                consumed++;
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(consumed).isEqualTo((long) producers * perProducer);
        assertThat(outOfOrder.get()).isZero();
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.poll()).isNull();
    }

    @Test
    void fullQueueRefuses() {
        TaskQueue q = new TaskQueue(2);
        assertThat(q.offer(() -> { })).isTrue();
        assertThat(q.offer(() -> { })).isTrue();
        assertThat(q.offer(() -> { })).isFalse();
        assertThat(q.poll()).isNotNull();
        assertThat(q.offer(() -> { })).isTrue();
    }
}
