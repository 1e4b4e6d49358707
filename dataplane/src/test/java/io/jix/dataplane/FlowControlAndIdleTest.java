package io.jix.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.api.Calls;
import io.jix.api.Endpoint;
import io.jix.api.EventConditions;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Receive-side flow control through recvDone, and what an idle elastic thread costs. */
class FlowControlAndIdleTest {

    /** Holds every received byte until told to let go. */
    static final class Hoarder implements EventConditions {
        final io.jix.api.ElasticContext context;
        final Calls calls;
        final AtomicLong held = new AtomicLong();
        volatile long handle;

        Hoarder(io.jix.api.ElasticContext context) {
            this.context = context;
            this.calls = context.calls();
        }

        @Override
        public void knock(long h, Endpoint remote, int localPort) {
            calls.accept(h, null);
            handle = h;
        }

        @Override
        public void recv(Object cookie, long h, MemorySegment data, long offset, int length) {
            held.addAndGet(length);
        }

        @Override
        public void dead(Object cookie, long h, int reason) {
            calls.recvDone(h, held.getAndSet(0));
            calls.close(h);
        }
    }

    @Test
    void unreturnedBytesCloseTheWindowAndRecvDoneReopensIt() throws Exception {
        long quota = 64 * 1024;
        int total = 16 * 1024 * 1024; // well beyond what loopback socket buffers can absorb
        CompletableFuture<Hoarder> app = new CompletableFuture<>();
        try (Dataplane d = Dataplane.builder().threads(1).pin(false).tcpPorts(0).rxQuota(quota)
                .name("flow-test").start(ctx -> {
                    Hoarder h = new Hoarder(ctx);
                    app.complete(h);
                    return h;
                });
             Socket s = new Socket(InetAddress.getLoopbackAddress(), d.tcpPorts()[0])) {
            Hoarder h = app.get();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(new byte[total]);
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // The application returns nothing: reading must stop near the quota, and the writer
            // must block once the kernel's buffers are full too.
            Thread.sleep(500);
            long stalledAt = d.counter(Counter.RX_BYTES);
            assertThat(stalledAt).isGreaterThanOrEqualTo(quota).isLessThan(quota + 16 * 1024 + 1);
            assertThat(writer).isNotDone();
            Thread.sleep(200);
            assertThat(d.counter(Counter.RX_BYTES)).isEqualTo(stalledAt);
            // Now return bytes as they come: everything arrives.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (d.counter(Counter.RX_BYTES) < total && System.nanoTime() < deadline) {
                CompletableFuture<Void> released = new CompletableFuture<>();
                ctxExecute(h, released);
                released.get(5, TimeUnit.SECONDS);
                Thread.sleep(1);
            }
            writer.get(10, TimeUnit.SECONDS);
            assertThat(d.counter(Counter.RX_BYTES)).isEqualTo(total);
            assertThat(d.counter(Counter.APP_EXCEPTIONS)).isZero();
        }
    }

    private static void ctxExecute(Hoarder h, CompletableFuture<Void> done) {
        h.context.elastic().execute(() -> {
            h.calls.recvDone(h.handle, h.held.getAndSet(0));
            done.complete(null);
        });
    }

    @Test
    void anIdleBackoffThreadSleepsAndASpinningOneDoesNot() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (Idle idle : Idle.values()) {
            try (Dataplane d = Dataplane.builder().threads(1).pin(false).idle(idle).tcpPorts(0)
                    .name("idle-test").start(Hoarder::new)) {
                long id = d.elasticThreadIds()[0];
                Thread.sleep(200);
                long cpuBefore = threads.getThreadCpuTime(id);
                long wallBefore = System.nanoTime();
                Thread.sleep(1_000);
                double share = (double) (threads.getThreadCpuTime(id) - cpuBefore) / (System.nanoTime() - wallBefore);
                if (idle == Idle.BACKOFF) {
                    assertThat(share).as("CPU share of an idle backoff thread").isLessThan(0.02);
                } else {
                    // Alone on a core it is ~1; on a shared, loaded box it still gets its share, far above backoff's.
                    assertThat(share).as("CPU share of an idle spinning thread").isGreaterThan(0.1);
                }
            }
        }
    }

    @Test
    void outOfDescriptorsTheListenerPausesInsteadOfSpinningAndResumes() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Dataplane d = Dataplane.builder().threads(1).pin(false).tcpPorts(0).name("emfile-test")
                .start(ZeroCopyEcho::new)) {
            java.util.List<java.nio.channels.FileChannel> fillers = new java.util.ArrayList<>();
            java.nio.channels.SocketChannel client = null;
            try {
                // Load the socket classes first: without descriptors their initialization would fail.
                java.nio.channels.SocketChannel.open().close();
                threads.getThreadCpuTime(d.elasticThreadIds()[0]);
                // Use up this process's descriptors, then free exactly one for the client's socket.
                for (int i = 0; i < 200_000; i++) {
                    try {
                        fillers.add(java.nio.channels.FileChannel.open(java.nio.file.Path.of("/dev/null")));
                    } catch (java.io.IOException e) {
                        break;
                    }
                }
                fillers.removeLast().close();
                client = java.nio.channels.SocketChannel.open(
                        new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), d.tcpPorts()[0]));
                long id = d.elasticThreadIds()[0];
                Thread.sleep(200);
                long cpuBefore = threads.getThreadCpuTime(id);
                long errorsBefore = d.counter(Counter.ACCEPT_ERRORS);
                long wallBefore = System.nanoTime();
                Thread.sleep(1_000);
                double share = (double) (threads.getThreadCpuTime(id) - cpuBefore) / (System.nanoTime() - wallBefore);
                long errors = d.counter(Counter.ACCEPT_ERRORS) - errorsBefore;
                assertThat(d.counter(Counter.ACCEPT_ERRORS)).as("accepts refused for want of descriptors").isPositive();
                assertThat(errors).as("failed accepts in one second: one per pause, not a spin").isBetween(1L, 15L);
                assertThat(share).as("CPU share of the elastic thread meanwhile").isLessThan(0.2);
                for (int i = 0; i < 50 && !fillers.isEmpty(); i++) {
                    fillers.removeLast().close();
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (d.counter(Counter.ACCEPTS) == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(d.counter(Counter.ACCEPTS)).as("accepted once descriptors were free again").isEqualTo(1);
            } finally {
                for (var f : fillers) {
                    f.close();
                }
                if (client != null) {
                    client.close();
                }
            }
        }
    }
}
