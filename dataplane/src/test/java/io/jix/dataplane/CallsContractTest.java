package io.jix.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.api.BadHandleException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The IX contract on the kernel backend: handles, containment, views, threads, timers. */
class CallsContractTest {

    private Dataplane dataplane;
    private final AtomicReference<ZeroCopyEcho> app = new AtomicReference<>();
    private int port;

    @BeforeEach
    void start() {
        dataplane = Dataplane.builder().threads(1).pin(false).tcpPorts(0).name("contract-test")
                .start(ctx -> {
                    ZeroCopyEcho e = new ZeroCopyEcho(ctx);
                    app.set(e);
                    return e;
                });
        port = dataplane.tcpPorts()[0];
    }

    @AfterEach
    void stop() {
        dataplane.close();
    }

    @Test
    void echoesThroughTheZeroCopyContract() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello, IX")).isEqualTo("hello, IX");
        }
    }

    @Test
    void staleHandleIsRejectedAndNeverReachesANewConnection() throws Exception {
        try (Socket s = connect()) {
            roundTrip(s, "first");
        }
        await(() -> app.get().closed.size() == 1);
        long stale = app.get().closed.getFirst();
        try (Socket second = connect()) {
            roundTrip(second, "second");
            // The second connection reuses the freed slot; the old handle must not name it.
            long fresh = app.get().accepted.get(1);
            assertThat(fresh & 0xffffff).isEqualTo(stale & 0xffffff);
            assertThat(fresh).isNotEqualTo(stale);
            Throwable t = onElastic(() -> app.get().calls.send(stale, Arena.ofAuto().allocate(4), 0, 4));
            assertThat(t).isInstanceOf(BadHandleException.class).hasMessageContaining("stale");
            assertThat(roundTrip(second, "still fine")).isEqualTo("still fine");
        }
        assertThat(dataplane.counter(Counter.BAD_HANDLES)).isEqualTo(1);
    }

    @Test
    void forgedAndForeignHandlesAreRejected() throws Exception {
        Throwable forged = onElastic(() -> app.get().calls.recvDone(0x7777_0000_00001234L, 0));
        assertThat(forged).isInstanceOf(BadHandleException.class).hasMessageContaining("never issued");
        Throwable zero = onElastic(() -> app.get().calls.close(0));
        assertThat(zero).isInstanceOf(BadHandleException.class);
        Throwable foreign = onElastic(() -> app.get().calls.close(1L << 32 | 3L << 24 | 5));
        assertThat(foreign).isInstanceOf(BadHandleException.class).hasMessageContaining("belongs to elastic thread 3");
    }

    @Test
    void applicationExceptionCostsOnlyItsConnection() throws Exception {
        app.get().onRecv = r -> {
            if (r.data().get(ValueLayout.JAVA_BYTE, r.offset()) == '!') {
                throw new IllegalStateException("application bug, on purpose");
            }
        };
        try (Socket good = connect(); Socket bad = connect()) {
            assertThat(roundTrip(good, "before")).isEqualTo("before");
            bad.getOutputStream().write("!boom".getBytes(StandardCharsets.US_ASCII));
            bad.setSoTimeout(5_000);
            assertThat(readUntilClosed(bad.getInputStream())).isTrue();
            assertThat(roundTrip(good, "after")).isEqualTo("after");
        }
        assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isEqualTo(1);
    }

    @Test
    void receivedViewsAreReadOnly() throws Exception {
        CompletableFuture<Throwable> attempt = new CompletableFuture<>();
        app.get().onRecv = r -> {
            try {
                r.data().set(ValueLayout.JAVA_BYTE, r.offset(), (byte) 'X');
                attempt.complete(null);
            } catch (RuntimeException e) {
                attempt.complete(e);
            }
        };
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "immutable")).isEqualTo("immutable");
        }
        assertThat(attempt.get(5, TimeUnit.SECONDS)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("read-only");
    }

    @Test
    void recvDoneBeyondWhatWasReceivedIsAnError() throws Exception {
        CompletableFuture<Throwable> attempt = new CompletableFuture<>();
        app.get().onRecv = r -> {
            try {
                r.calls().recvDone(r.handle(), r.length() + 1L);
                attempt.complete(null);
            } catch (RuntimeException e) {
                attempt.complete(e);
            }
        };
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "12345")).isEqualTo("12345");
        }
        assertThat(attempt.get(5, TimeUnit.SECONDS)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only 5 received bytes are held");
    }

    @Test
    void callsFromAnotherThreadAreRefused() {
        assertThatThrownBy(() -> app.get().calls.recvDone(1, 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("elastic thread");
    }

    @Test
    void timersFireOnceAndCancelledOnesDoNot() throws Exception {
        CompletableFuture<long[]> armed = new CompletableFuture<>();
        app.get().context.elastic().execute(() -> armed.complete(new long[] {
            app.get().calls.armTimer("soon", TimeUnit.MILLISECONDS.toNanos(5)),
            app.get().calls.armTimer("cancelled", TimeUnit.MILLISECONDS.toNanos(20)),
            app.get().calls.armTimer("later", TimeUnit.MILLISECONDS.toNanos(40))}));
        long[] t = armed.get(5, TimeUnit.SECONDS);
        CompletableFuture<Boolean> cancel = new CompletableFuture<>();
        app.get().context.elastic().execute(() -> cancel.complete(app.get().calls.cancelTimer(t[1])));
        assertThat(cancel.get(5, TimeUnit.SECONDS)).isTrue();
        await(() -> app.get().timers.size() == 2);
        Thread.sleep(50);
        assertThat(app.get().timers).containsExactly("soon", "later");
        CompletableFuture<Boolean> again = new CompletableFuture<>();
        app.get().context.elastic().execute(() -> again.complete(app.get().calls.cancelTimer(t[0])));
        assertThat(again.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(dataplane.counter(Counter.TIMERS)).isEqualTo(2);
    }

    @Test
    void backgroundWorkHandsItsResultBackToTheElasticThread() throws Exception {
        CompletableFuture<String> where = new CompletableFuture<>();
        var ctx = app.get().context;
        ctx.background().execute(() -> {
            String blockingResult = Thread.currentThread().getName();
            ctx.elastic().execute(() -> where.complete(blockingResult + " -> " + Thread.currentThread().getName()));
        });
        assertThat(where.get(5, TimeUnit.SECONDS)).matches("jix-contract-test-background-\\d+ -> jix-contract-test-elastic-0");
    }

    // ---- helpers ----

    @Test
    void transmitBuffersWorkOnTheKernelBackendToo() throws Exception {
        BufferEcho[] echo = new BufferEcho[1];
        try (Dataplane d = Dataplane.builder().threads(1).pin(false).tcpPorts(0).name("txbuffer-test")
                .start(ctx -> echo[0] = new BufferEcho(ctx));
             Socket s = new Socket(InetAddress.getLoopbackAddress(), d.tcpPorts()[0])) {
            s.setSoTimeout(5_000);
            byte[] big = new byte[100_000]; // many buffers per request, and the kernel may take part of one
            new java.util.Random(4).nextBytes(big);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(big);
            byte[] back = in.readNBytes(big.length);
            assertThat(back).isEqualTo(big);
            assertThat(echo[0].refused.get()).isZero();
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setTcpNoDelay(true);
        s.setSoTimeout(5_000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        byte[] out = text.getBytes(StandardCharsets.UTF_8);
        OutputStream o = s.getOutputStream();
        o.write(out);
        o.flush();
        byte[] in = s.getInputStream().readNBytes(out.length);
        return new String(in, StandardCharsets.UTF_8);
    }

    /** True when the peer ended the stream (FIN or RST) before the timeout. */
    private static boolean readUntilClosed(InputStream in) throws IOException {
        try {
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (SocketException reset) {
            return true;
        }
    }

    private Throwable onElastic(Runnable r) throws Exception {
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        app.get().context.elastic().execute(() -> {
            try {
                r.run();
                result.complete(null);
            } catch (Throwable t) {
                result.complete(t);
            }
        });
        return result.get(5, TimeUnit.SECONDS);
    }

    static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }

}
