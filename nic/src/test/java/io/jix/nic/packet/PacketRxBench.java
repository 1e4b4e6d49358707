package io.jix.nic.packet;

import io.jix.nic.FrameBurst;
import io.jix.nic.QueueCounter;
import io.jix.testnet.TestNet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Performance sanity for the AF_PACKET receive path (a tool, not a test): opens {@code queues}
 * queues on jix0, one busy-polling thread per queue counting (and freeing) what it receives, while
 * {@link PacketTxFlood} in the peer namespace sends 64-byte UDP frames over {@code flows} flows for
 * {@code seconds}. Prints what the generator sent, what jix received, and the kernel's drops.
 *
 * <p>{@code PacketRxBench [queues=2] [seconds=5] [flows=64] [spin|wait]}: receivers that find nothing
 * busy-poll ({@code spin}) or sleep in {@code poll()} ({@code wait}, the default), as root with the test network up
 * (it brings it up and leaves it up).
 */
final class PacketRxBench {

    private PacketRxBench() {
    }

    public static void main(String[] args) throws Exception {
        int queues = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        int flows = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        boolean spin = args.length > 3 && args[3].equals("spin");
        if (seconds > 30) {
            throw new IllegalArgumentException("at most 30 s");
        }
        TestNet.up();
        try (PacketPort port = PacketPort.open(TestNet.LOCAL_IF, queues)) {
            String mac = HexFormat.ofDelimiter(":").formatHex(port.mac());
            AtomicLong[] received = new AtomicLong[queues];
            Thread[] threads = new Thread[queues];
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            for (int q = 0; q < queues; q++) {
                PacketQueue queue = port.queue(q);
                AtomicLong count = received[q] = new AtomicLong();
                threads[q] = Thread.ofPlatform().name("rx-" + q).start(() -> {
                    FrameBurst burst = new FrameBurst(64);
                    long n = 0;
                    while (!stop.get()) {
                        burst.clear();
                        int got = queue.receive(burst, 64);
                        for (int i = 0; i < got; i++) {
                            queue.pool().release(burst.frame(i));
                        }
                        n += got;
                        if (got == 0) {
                            count.setOpaque(n);
                            if (!spin) {
                                queue.awaitTraffic(1_000_000);
                            }
                        }
                    }
                    count.set(n);
                });
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process gen = TestNet.runInPeer(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), PacketTxFlood.class.getName(), TestNet.PEER_IF, mac,
                    "" + seconds, "500000000", "" + flows);
            gen.getOutputStream().close();
            boolean done = gen.waitFor((long) (seconds * 1000) + 20_000, TimeUnit.MILLISECONDS);
            if (!done) {
                gen.destroy();
                if (!gen.waitFor(2, TimeUnit.SECONDS)) {
                    gen.destroyForcibly();
                }
            }
            Thread.sleep(200); // let the receivers drain the rings
            stop.set(true);
            for (Thread t : threads) {
                t.join(5000);
            }
            String out = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            String err = new String(gen.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            long total = 0;
            long drops = 0;
            StringBuilder per = new StringBuilder();
            for (int q = 0; q < queues; q++) {
                PacketQueue queue = port.queue(q);
                queue.refreshCounters();
                total += received[q].get();
                drops += queue.counters().get(QueueCounter.KERNEL_RX_DROPPED);
                per.append(q == 0 ? "" : " ").append("q").append(q).append('=').append(received[q].get());
            }
            System.out.println("generator (peer, 1 AF_PACKET TX thread): " + out + (err.isEmpty() ? "" : " stderr: " + err));
            long sent = Long.parseLong(out.replaceAll("^sent=(\\d+).*$", "$1"));
            double took = Double.parseDouble(out.replaceAll("^.*seconds=([0-9.]+).*$", "$1"));
            System.out.printf("jix AF_PACKET RX, %d queue(s), " + (spin ? "spin" : "wait") + ": received %d (%s), kernel tp_drops %d, %.1f %% of offered%n",
                    queues, total, per, drops, 100.0 * total / sent);
            System.out.printf("offered_pps=%.0f rx_pps=%.0f drops=%d%n", sent / took, total / took, drops);
        }
    }
}
