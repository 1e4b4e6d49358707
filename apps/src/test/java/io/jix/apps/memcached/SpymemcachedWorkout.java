package io.jix.apps.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.internal.OperationFuture;

/**
 * What {@link MemcachedClientTest} asks of a memcached server through spymemcached, a standard
 * Java client, with its ASCII connection factory ({@code Protocol.TEXT}: jix speaks the text
 * protocol only). Run in this JVM by that test, and by {@code main} in a child JVM in the peer
 * namespace against the native dataplane ({@link MemcachedNativeTest}). Assertions are AssertJ's.
 */
public final class SpymemcachedWorkout implements AutoCloseable {

    // spymemcached logs through java.util.logging when told to; its INFO lines (connects, the
    // transcoder finding random bytes incompressible) are noise here.
    private static final Logger SPY_LOG = Logger.getLogger("net.spy.memcached");

    private final InetSocketAddress server;
    private final int itemLimit;
    private final MemcachedClient client;

    /** Connects to {@code server}, whose {@code -I} is {@code itemLimit}. */
    public SpymemcachedWorkout(InetSocketAddress server, int itemLimit) throws IOException {
        System.setProperty("net.spy.log.LoggerImpl", "net.spy.memcached.compat.log.SunLogger");
        SPY_LOG.setLevel(Level.WARNING);
        this.server = server;
        this.itemLimit = itemLimit;
        this.client = connect();
    }

    private MemcachedClient connect() throws IOException {
        return new MemcachedClient(new ConnectionFactoryBuilder()
                .setProtocol(ConnectionFactoryBuilder.Protocol.TEXT)
                .setOpTimeout(10_000)
                .setOpQueueMaxBlockTime(10_000)
                .setDaemon(true)
                .build(), List.of(server));
    }

    @Override
    public void close() {
        client.shutdown(5, TimeUnit.SECONDS);
    }

    /** Runs every part against {@code args[0]}:{@code args[1]} ({@code -I} 1 MiB) and says so; exits 1 on a failure. */
    public static void main(String[] args) throws Exception {
        try (SpymemcachedWorkout workout = new SpymemcachedWorkout(
                new InetSocketAddress(args[0], Integer.parseInt(args[1])), 1 << 20)) {
            workout.storageRetrievalAndArithmetic();
            workout.touchAndExpiry();
            workout.multiGetBinaryValuesAndTheLargestValue();
            workout.thousandsOfConcurrentAsyncOperations();
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
        System.out.println("spymemcached workout passed");
        System.exit(0); // spymemcached's threads are daemons, but do not wait on them
    }

    public void storageRetrievalAndArithmetic() throws Exception {
        assertThat(client.set("greeting", 0, "hello").get()).isTrue();
        assertThat(client.get("greeting")).isEqualTo("hello");
        assertThat(client.get("never-set")).isNull();

        // add only when absent, replace only when present
        assertThat(client.add("greeting", 0, "other").get()).isFalse();
        assertThat(client.add("fresh", 0, "first").get()).isTrue();
        assertThat(client.replace("fresh", 0, "second").get()).isTrue();
        assertThat(client.replace("absent", 0, "x").get()).isFalse();
        assertThat(client.get("fresh")).isEqualTo("second");

        assertThat(client.append("greeting", ", world").get()).isTrue();
        assertThat(client.prepend("greeting", ">> ").get()).isTrue();
        assertThat(client.get("greeting")).isEqualTo(">> hello, world");
        assertThat(client.append("absent", "x").get()).isFalse();

        // cas: succeeds with the current unique, fails after another set changed it
        CASValue<Object> seen = client.gets("greeting");
        assertThat(seen.getValue()).isEqualTo(">> hello, world");
        assertThat(client.cas("greeting", seen.getCas(), "swapped")).isEqualTo(CASResponse.OK);
        CASValue<Object> again = client.gets("greeting");
        assertThat(again.getCas()).isNotEqualTo(seen.getCas());
        assertThat(client.set("greeting", 0, "changed behind its back").get()).isTrue();
        assertThat(client.cas("greeting", again.getCas(), "too late")).isEqualTo(CASResponse.EXISTS);
        assertThat(client.get("greeting")).isEqualTo("changed behind its back");
        assertThat(client.cas("absent", 1, "x")).isEqualTo(CASResponse.NOT_FOUND);

        // incr/decr on a decimal, -1 for a missing key, and the client's create-with-default
        assertThat(client.set("counter", 0, "41").get()).isTrue();
        assertThat(client.incr("counter", 1)).isEqualTo(42);
        assertThat(client.decr("counter", 50)).isZero(); // decr stops at 0
        assertThat(client.incr("counter", 7)).isEqualTo(7);
        assertThat(client.incr("no-counter", 1)).isEqualTo(-1);
        assertThat(client.incr("made-counter", 5, 100)).isEqualTo(100); // absent: add of the default
        assertThat(client.incr("made-counter", 5, 100)).isEqualTo(105);

        assertThat(client.delete("fresh").get()).isTrue();
        assertThat(client.delete("fresh").get()).isFalse();
        assertThat(client.get("fresh")).isNull();
    }

    public void touchAndExpiry() throws Exception {
        assertThat(client.set("short-lived", 1, "soon gone").get()).isTrue();
        assertThat(client.set("touched", 1, "kept").get()).isTrue();
        assertThat(client.touch("touched", 0).get()).isTrue(); // 0: never expires
        assertThat(client.touch("absent", 10).get()).isFalse();
        assertThat(client.get("short-lived")).isEqualTo("soon gone");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (client.get("short-lived") != null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(client.get("short-lived")).as("expired within 5 s of a 1 s TTL").isNull();
        assertThat(client.get("touched")).isEqualTo("kept");
    }

    public void multiGetBinaryValuesAndTheLargestValue() throws Exception {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        assertThat(client.set("bytes", 0, everyByte).get()).isTrue();
        assertThat((byte[]) client.get("bytes")).isEqualTo(everyByte);
        // \r\n inside the value, and a value that is nothing but line ends
        byte[] lineEnds = "\r\n\r\nEND\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(client.set("line-ends", 0, lineEnds).get()).isTrue();
        assertThat((byte[]) client.get("line-ends")).isEqualTo(lineEnds);

        // The transcoder stores byte[] as is; random bytes do not compress, so this is the value sent.
        byte[] largest = new byte[itemLimit];
        new Random(6).nextBytes(largest);
        assertThat(client.set("largest", 0, largest).get()).isTrue();
        assertThat((byte[]) client.get("largest")).isEqualTo(largest);
        // One byte over -I: memcached's SERVER_ERROR, on which spymemcached fails the future and
        // reconnects (after a delay), so a client of its own.
        byte[] tooLarge = new byte[itemLimit + 1];
        new Random(7).nextBytes(tooLarge);
        MemcachedClient another = connect();
        try {
            assertThatThrownBy(() -> another.set("largest", 0, tooLarge).get())
                    .isInstanceOf(ExecutionException.class).hasMessageContaining("SERVER_ERROR object too large for cache");
        } finally {
            another.shutdown(1, TimeUnit.SECONDS);
        }
        assertThat(client.get("largest")).as("a failed set leaves no stale value").isNull();

        Map<String, Object> expected = new HashMap<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String key = "multi:" + i;
            keys.add(key);
            if (i % 3 != 0) {
                expected.put(key, "value " + i);
                assertThat(client.set(key, 0, "value " + i).get()).isTrue();
            }
        }
        assertThat(client.getBulk(keys)).isEqualTo(expected);
    }

    public void thousandsOfConcurrentAsyncOperations() throws Exception {
        int n = 4_000;
        List<OperationFuture<Boolean>> sets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sets.add(client.set("async:" + i, 0, "v" + i));
        }
        assertThat(client.set("async-counter", 0, "0").get()).isTrue();
        List<Future<Object>> gets = new ArrayList<>(n);
        List<Future<Long>> incrs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            gets.add(client.asyncGet("async:" + i));
            incrs.add(client.asyncIncr("async-counter", 1));
        }
        for (OperationFuture<Boolean> f : sets) {
            assertThat(f.get(20, TimeUnit.SECONDS)).isTrue();
        }
        for (int i = 0; i < n; i++) {
            assertThat(gets.get(i).get(20, TimeUnit.SECONDS)).isEqualTo("v" + i);
        }
        // Each increment saw its own count: 1..n, in whatever order the connections ran them.
        List<Long> counts = new ArrayList<>(n);
        for (Future<Long> f : incrs) {
            counts.add(f.get(20, TimeUnit.SECONDS));
        }
        assertThat(counts).doesNotHaveDuplicates().allMatch(c -> c >= 1 && c <= n);
        assertThat(client.get("async-counter")).isEqualTo(Integer.toString(n));
    }
}
