package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FlowSteering;
import io.jix.nic.NicQueue;
import io.jix.nic.fault.LossyQueue;
import io.jix.nic.xdp.XdpConfig;
import io.jix.nic.xdp.XdpPort;
import io.jix.nic.xdp.XdpQueue;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.testnet.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * For tests against the Linux kernel over the test network: jix's stacks on every queue of jix0
 * (AF_XDP, 198.18.0.3), each told the test network's RSS emulation ({@link FlowSteering#PORT_XOR})
 * so that its outgoing connections come back to it, polled by one thread; work is handed to that
 * thread with {@link #onLoop} and awaited with {@link #await}. Plus the helpers those tests share:
 * the byte pattern both sides send, its SHA-256, and Python processes in the peer namespace.
 */
final class LinuxPeer implements AutoCloseable {

    static final String OURS = "198.18.0.3";
    static final int OURS_IP = io.jix.stack.ip.Ipv4.parse(OURS);
    static final int PEER_IP = io.jix.stack.ip.Ipv4.parse(TestNet.PEER_ADDRESS);
    /** The pattern: byte i of every stream is ((i mod 65536) * 7 + 3) mod 256, as the Python side makes it. */
    static final String PY_BLOCK = "bytes((i * 7 + 3) & 255 for i in range(65536))";

    final XdpPort port;
    final List<NetStack> stacks = new ArrayList<>();
    final List<TcpLayer> layers = new ArrayList<>();
    final List<LossyQueue> lossy = new ArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private volatile Throwable failure;

    /**
     * Opens jix0 and a stack per queue; {@code wrap} may put a decorator around each queue (a
     * {@link LossyQueue}, collected in {@link #lossy}); {@code events} makes each stack's application.
     */
    LinuxPeer(Function<NicQueue, NicQueue> wrap, Function<Integer, TcpEvents> events, TcpConfig tcp) throws Exception {
        byte[] mac = TestNet.localMac();
        port = XdpPort.open(TestNet.LOCAL_IF, (Inet4Address) InetAddress.getByName(OURS), XdpConfig.DEFAULT);
        long start = System.nanoTime();
        int queues = port.queues().size();
        // The peer's MAC, so that the first SYNs need not wait for ARP (held SYNs are capped at 8 per address).
        byte[] peerMac = HexFormat.ofDelimiter(":").parseHex(
                TestNet.execInPeer(Duration.ofSeconds(10), "cat", "/sys/class/net/" + TestNet.PEER_IF + "/address").strip());
        for (XdpQueue q : port.queues()) {
            NicQueue nq = wrap.apply(q);
            if (nq instanceof LossyQueue l) {
                lossy.add(l);
            }
            NetStack s = new NetStack(nq, NetStackConfig.builder(mac, OURS, TestNet.PREFIX)
                    .steering(FlowSteering.PORT_XOR, q.queueId(), queues).build(), start);
            s.addStaticArp(PEER_IP, peerMac);
            stacks.add(s);
            layers.add(new TcpLayer(s, tcp, events.apply(q.queueId())));
        }
        thread = Thread.ofPlatform().name("jix-linux").start(this::loop);
    }

    private void loop() {
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!stop.get() && System.nanoTime() < deadline) {
                Runnable r;
                while ((r = tasks.poll()) != null) {
                    r.run();
                }
                int n = 0;
                for (int i = 0; i < stacks.size(); i++) {
                    long now = System.nanoTime();
                    n += stacks.get(i).poll(now);
                    layers.get(i).poll(now);
                }
                if (n == 0) {
                    Thread.onSpinWait();
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Runs {@code r} on the stacks' thread. */
    void onLoop(Runnable r) {
        tasks.add(r);
    }

    /** Waits until {@code done} (read from this thread: make what it reads volatile) or {@code timeout}; fails on a loop error. */
    void await(BooleanSupplier done, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(failure).as("stack thread").isNull();
            assertThat(System.nanoTime() - deadline).as("timed out waiting for %s", what).isNegative();
            Thread.sleep(5);
        }
        assertThat(failure).as("stack thread").isNull();
    }

    @Override
    public void close() {
        stop.set(true);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        port.close();
        assertThat(failure).as("stack thread").isNull();
    }

    // -------------------------------------------------------------------------------------------

    /** {@code bytes} of the pattern, off-heap (a whole number of 64 KiB blocks plus 64 KiB, so any 64 KiB window at a block offset fits). */
    static MemorySegment pattern(Arena arena, int bytes) {
        MemorySegment s = arena.allocate(bytes + 65536L, 64);
        for (long i = 0; i < s.byteSize(); i++) {
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (((i & 0xffff) * 7 + 3) & 255));
        }
        return s;
    }

    /** The SHA-256 of the first {@code n} bytes of the pattern, in hex. */
    static String patternSha(long n) {
        byte[] block = new byte[65536];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) ((i * 7 + 3) & 255);
        }
        MessageDigest md = sha();
        for (long left = n; left > 0; left -= block.length) {
            md.update(block, 0, (int) Math.min(left, block.length));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** A Python process in the peer namespace, whose stdout lines are read as they come. */
    static final class Python implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final List<String> lines = new ArrayList<>();

        Python(String script) {
            process = TestNet.runInPeer("/usr/bin/python3", "-u", "-c", script);
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            Thread.ofPlatform().daemon().name("python-stderr").start(() -> {
                try {
                    process.getErrorStream().transferTo(System.err);
                } catch (IOException ignored) {
                    // the process is gone
                }
            });
        }

        /** The next line of output (null at its end); bounded by the process's own time limit. */
        String line() throws IOException {
            String l = out.readLine();
            if (l != null) {
                lines.add(l);
            }
            return l;
        }

        /** Closes its stdin (the scripts stop then) and returns the rest of its output. */
        List<String> finish(Duration timeout) throws IOException, InterruptedException {
            process.getOutputStream().close();
            List<String> rest = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            String l;
            while (System.nanoTime() < deadline && (l = line()) != null) {
                rest.add(l);
            }
            assertThat(process.waitFor(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS))
                    .as("python exited").isTrue();
            return rest;
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroy();
                try {
                    if (!process.waitFor(5, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
