package io.jix.apps.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * spymemcached, a standard Java client, against {@code ./jix serve memcached} on the kernel
 * backend over loopback ({@link SpymemcachedWorkout}: every operation it has in the text
 * protocol). spymemcached has no text-protocol get-and-touch, so {@code gat} is left to the other
 * tests. It is a plain (non-modular) jar: like every test here it runs on the class path.
 */
class MemcachedClientTest {

    private static final int ITEM_LIMIT = 1 << 20;

    private static Dataplane dataplane;
    private static SpymemcachedWorkout workout;

    @BeforeAll
    static void start() throws Exception {
        dataplane = Dataplane.builder().threads(2).tcpPorts(0).name("memcached-client")
                .start(MemcachedServer.application(new MemcachedServer.Config(64, 1024, ITEM_LIMIT)));
        workout = new SpymemcachedWorkout(new InetSocketAddress("127.0.0.1", dataplane.tcpPorts()[0]), ITEM_LIMIT);
    }

    @AfterAll
    static void stop() {
        if (workout != null) {
            workout.close();
        }
        if (dataplane != null) {
            assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
            dataplane.close();
        }
    }

    @Test
    void storageRetrievalAndArithmetic() throws Exception {
        workout.storageRetrievalAndArithmetic();
    }

    @Test
    void touchAndExpiry() throws Exception {
        workout.touchAndExpiry();
    }

    @Test
    void multiGetBinaryValuesAndTheLargestValue() throws Exception {
        workout.multiGetBinaryValuesAndTheLargestValue();
    }

    @Test
    void thousandsOfConcurrentAsyncOperations() throws Exception {
        workout.thousandsOfConcurrentAsyncOperations();
    }
}
