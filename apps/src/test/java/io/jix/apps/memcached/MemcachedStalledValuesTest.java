package io.jix.apps.memcached;

import static io.jix.apps.memcached.TextClient.line;
import static io.jix.apps.memcached.TextClient.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Clients that announce a 1 MiB value, send 1 KB of it and stall. Each value is copied into its
 * reserved item as it arrives, so a stalled client holds its item's chunk inside {@code -m} and
 * no buffer of the connection's; reservations together hold at most half of {@code -m}, and
 * sets beyond that are refused as out of memory (their data discarded as it comes).
 */
class MemcachedStalledValuesTest {

    private static final int STALLERS = 200;
    private static final int VALUE = 1 << 20;
    private static final String REFUSED = "SERVER_ERROR out of memory storing object\r\n";
    /** The most the server's heap and native memory together may grow while the stallers wait. */
    private static final long BOUND = 16L << 20;

    @Test
    void twoHundredStalledMegabyteValuesHoldNoMoreThanTheirReservationsAndOthersCarryOn() throws Exception {
        MemcachedServer.Config config = new MemcachedServer.Config(64, 1024, VALUE);
        MemcachedStore store = new MemcachedStore(64L << 20, VALUE, System::currentTimeMillis);
        List<Socket> stallers = new ArrayList<>();
        try (Dataplane dataplane = Dataplane.builder().threads(2).tcpPorts(0).name("memcached-stall")
                .start(MemcachedServer.application(config, store, System::currentTimeMillis));
             Socket normal = TextClient.connect(dataplane.tcpPorts()[0])) {
            String large = "L".repeat(200_000); // over SMALL_COMMAND, so it streams into a reservation
            exchangeNormally(normal, 0);
            send(normal, "set large 0 0 " + large.length() + "\r\n" + large + "\r\n");
            assertThat(line(normal)).isEqualTo("STORED\r\n");
            long before = serverMemory();

            String partial = "x".repeat(1000);
            for (int i = 0; i < STALLERS; i++) {
                Socket s = TextClient.connect(dataplane.tcpPorts()[0]);
                stallers.add(s);
                send(s, "set stalled:" + i + " 0 0 " + VALUE + "\r\n" + partial);
            }
            long chunk = store.chunkBytes("stalled:100".length(), VALUE);
            long expectedReserved = store.inFlightLimit() / chunk;
            int[] refused = {0};
            boolean settled = await(() -> {
                refused[0] += countRefusals(stallers);
                return refused[0] + store.inFlightBytes() / chunk == STALLERS;
            });
            assertThat(settled).as("every staller reserved or refused; %d refused, %d bytes reserved", refused[0],
                    store.inFlightBytes()).isTrue();
            assertThat(store.inFlightBytes()).isEqualTo(expectedReserved * chunk).isLessThanOrEqualTo(32L << 20);

            long during = serverMemory();
            System.out.printf("memcached: %d stalled 1 MiB values: %d reserved (%d bytes inside -m), %d refused; "
                    + "heap + native grew by %d bytes%n", STALLERS, expectedReserved, store.inFlightBytes(), refused[0],
                    during - before);
            assertThat(during - before).as("heap + native growth with %d stalled 1 MiB values", STALLERS)
                    .isLessThan(BOUND);

            // Requests go on as usual; this large value still fits beside the stallers' reservations
            // (31 chunks of 1 MiB + 4 KiB in a half of 64 MiB leave 514 KiB).
            exchangeNormally(normal, 1);
            send(normal, "set large 0 0 " + large.length() + "\r\n" + large + "\r\n");
            assertThat(line(normal)).isEqualTo("STORED\r\n");

            for (Socket s : stallers) {
                s.close();
            }
            assertThat(await(() -> store.inFlightBytes() == 0)).as("reservations returned when their clients left")
                    .isTrue();
            send(normal, "set large 0 0 " + large.length() + "\r\n" + large + "\r\nmg large s\r\n");
            assertThat(line(normal)).isEqualTo("STORED\r\n");
            assertThat(line(normal)).isEqualTo("HD s" + large.length() + "\r\n");
            assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
        } finally {
            for (Socket s : stallers) {
                s.close();
            }
        }
    }

    /** 200 small set/get round trips with the right answers. */
    private static void exchangeNormally(Socket s, int round) throws IOException {
        for (int i = 0; i < 200; i++) {
            String key = "normal:" + round + ":" + i;
            String value = "value-" + i;
            send(s, "set " + key + " 1 0 " + value.length() + "\r\n" + value + "\r\nget " + key + "\r\n");
            assertThat(line(s)).isEqualTo("STORED\r\n");
            assertThat(line(s)).isEqualTo("VALUE " + key + " 1 " + value.length() + "\r\n");
            assertThat(line(s)).isEqualTo(value + "\r\n");
            assertThat(line(s)).isEqualTo("END\r\n");
        }
    }

    /** Reads the refusals that have arrived, without waiting. */
    private static int countRefusals(List<Socket> sockets) throws IOException {
        int n = 0;
        for (Socket s : sockets) {
            if (s.getInputStream().available() >= REFUSED.length()) {
                assertThat(line(s)).isEqualTo(REFUSED);
                n++;
            }
        }
        return n;
    }

    /** Heap in use after a collection, plus native memory (FFM arenas count as direct buffers). */
    private static long serverMemory() {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            direct += pool.getMemoryUsed();
        }
        return heap + direct;
    }

    private static boolean await(IoCondition condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (condition.test()) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.test();
    }

    private interface IoCondition {
        boolean test() throws IOException;
    }

}
