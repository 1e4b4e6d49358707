package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.fault.LossyQueue;
import io.jix.testkit.TestNetwork;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jix as the client of Linux servers over the test network (AF_XDP on both queues, the RSS
 * emulation steering each flow): every connection is opened by the stack of one queue, which must
 * choose a local port whose replies come back to it — else the SYN-ACK reaches the other stack,
 * which resets it, and the connect fails. Bulk both ways byte-exact by SHA-256 (also with a seeded
 * share of frames dropped at jix's NIC boundary), 1,000 concurrent short connections, half-close
 * in both orders, and resets from either side. Root only; skipped with the reason otherwise,
 * failed under CI=true.
 */
class TcpLinuxServerTest {

    /** Bulk per direction over the whole test run, split over both queues' stacks: 1 GiB each way. */
    private static final int BULK_PER_CONNECTION = 512 << 20;

    /**
     * The Linux side: one listener per behaviour on 198.18.0.2, a thread per connection; it prints
     * "ready", reports what a test needs on stdout, and stops when stdin closes (or after 200 s).
     */
    private static final String SERVER = String.join("\n",
            "import socket, threading, hashlib, struct, sys, time, os",
            "threading.stack_size(256 * 1024)",
            "limit = threading.Timer(200, lambda: os._exit(3))",
            "limit.daemon = True",
            "limit.start()",
            "BLOCK = " + LinuxPeer.PY_BLOCK,
            "lock = threading.Lock()",
            "def say(*a):",
            "    with lock:",
            "        print(*a, flush=True)",
            "def drain(c):",
            "    h = hashlib.sha256(); n = 0",
            "    while True:",
            "        d = c.recv(1 << 20)",
            "        if not d:",
            "            return n, h.hexdigest()",
            "        h.update(d); n += len(d)",
            "def sink(c):",                         // 9001: hash all until FIN, answer 'n sha', close
            "    n, x = drain(c)",
            "    c.sendall(b'%d %s' % (n, x.encode()))",
            "    c.close()",
            "def source(c):",                       // 9002: 8-byte count, then that much pattern, FIN, wait for FIN
            "    hdr = b''",
            "    while len(hdr) < 8:",
            "        d = c.recv(8 - len(hdr))",
            "        if not d:",
            "            return",
            "        hdr += d",
            "    n = struct.unpack('>Q', hdr)[0]",
            "    mv = memoryview(BLOCK)",
            "    while n > 0:",
            "        k = min(n, len(BLOCK))",
            "        c.sendall(mv[:k])",
            "        n -= k",
            "    c.shutdown(socket.SHUT_WR)",
            "    drain(c)",
            "    c.close()",
            "def echo(c):",                         // 9003: echo until FIN, then FIN
            "    while True:",
            "        d = c.recv(65536)",
            "        if not d:",
            "            break",
            "        c.sendall(d)",
            "    c.close()",
            "def linux_first(c):",                  // 9004: Linux half-closes first, then reads until jix's FIN
            "    c.sendall(b'linux closes first. ' * 1000)",
            "    c.shutdown(socket.SHUT_WR)",
            "    n, x = drain(c)",
            "    say('linux-first', n, x)",
            "    c.close()",
            "def reset_by_linux(c):",               // 9005: wait for 5 bytes, then RST (SO_LINGER 0)
            "    got = b''",
            "    while len(got) < 5:",
            "        d = c.recv(5 - len(got))",
            "        if not d:",
            "            break",
            "        got += d",
            "    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
            "    c.close()",
            "    say('reset-sent', got.decode())",
            "def reset_by_jix(c):",                 // 9006: read until EOF or reset, say which
            "    n = 0",
            "    try:",
            "        while True:",
            "            d = c.recv(65536)",
            "            if not d:",
            "                say('reset-by-jix eof', n)",
            "                break",
            "            n += len(d)",
            "    except ConnectionResetError:",
            "        say('reset-by-jix econnreset', n)",
            "    c.close()",
            "def serve(s, f):",
            "    while True:",
            "        c, _ = s.accept()",
            "        threading.Thread(target=f, args=(c,), daemon=True).start()",
            "for port, f in ((9001, sink), (9002, source), (9003, echo), (9004, linux_first),",
            "                (9005, reset_by_linux), (9006, reset_by_jix)):",
            "    s = socket.socket()",
            "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "    s.bind(('198.18.0.2', port))",
            "    s.listen(2048)",
            "    threading.Thread(target=serve, args=(s, f), daemon=True).start()",
            "say('ready')",
            "sys.stdin.read()");

    @BeforeAll
    static void up() {
        TestNetwork.upOrSkip();
    }

    @AfterAll
    static void down() {
        TestNetwork.down();
    }

    // ============================================================================ the jix side

    /** One connection's behaviour; its fields are read by the test thread only after {@code done}. */
    abstract static class Conn {
        TcpLayer tcp;
        long handle;
        volatile boolean done;
        volatile String error;
        int status = Integer.MIN_VALUE;
        int deadReason = Integer.MIN_VALUE;
        long endedAt;
        boolean eof;
        long received;
        final MessageDigest rx = LinuxPeer.sha();
        final StringBuilder text = new StringBuilder();
        boolean keepText;

        void opened() {
        }

        void data(MemorySegment region, long offset, int length) {
            received += length;
            rx.update(region.asSlice(offset, length).asByteBuffer());
            if (keepText && text.length() < 4096) {
                byte[] b = region.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
                text.append(new String(b, StandardCharsets.US_ASCII));
            }
            tcp.recvDone(handle, length);
        }

        void peerClosed() {
        }

        void acked(int bytes) {
        }

        void died(int reason) {
            endedAt = System.nanoTime();
            deadReason = reason;
            done = true;
        }

        void fail(String why) {
            error = why;
            done = true;
        }
    }

    /** Sends {@code total} bytes of the pattern by reference, keeping the send buffer full, then FIN (optionally). */
    abstract static class Sender extends Conn {
        final MemorySegment pattern;
        final long total;
        long offered;
        long acked;
        final boolean finAfter;
        boolean finSent;

        Sender(MemorySegment pattern, long total, boolean finAfter) {
            this.pattern = pattern;
            this.total = total;
            this.finAfter = finAfter;
        }

        void pump() {
            while (offered < total) {
                // The pattern segment holds two blocks: stream byte o is at o mod 64 KiB, and 64 KiB fit from there.
                int len = (int) Math.min(65536, total - offered);
                int took = tcp.send(handle, pattern, offered & 0xffff, len);
                if (took <= 0) {
                    break;
                }
                offered += took;
                if (took < len) {
                    break; // the send buffer is full until the next ACK
                }
            }
            if (finAfter && !finSent && acked == total) {
                finSent = true;
                tcp.close(handle);
            }
        }

        @Override
        void opened() {
            pump();
        }

        @Override
        void acked(int bytes) {
            acked += bytes;
            pump();
        }
    }

    /** The stack's application: events routed to the connection they name. */
    static final class Client implements TcpEvents {
        final Map<Long, Conn> conns = new HashMap<>();
        TcpLayer tcp;
        volatile int connectedOk;
        volatile int connectFailed;

        void open(Conn c, int port) {
            c.tcp = tcp;
            long h = tcp.connect(LinuxPeer.PEER_IP, port);
            if (h < 0) {
                c.fail("connect returned " + h);
                connectFailed++;
                return;
            }
            c.handle = h;
            conns.put(h, c);
        }

        @Override
        public void accepted(long conn, int localPort, int remoteIp, int remotePort) {
            tcp.abort(conn);
        }

        @Override
        public void connected(long conn, int status) {
            Conn c = conns.get(conn);
            c.status = status;
            if (status != 0) {
                connectFailed++;
                conns.remove(conn);
                c.fail("connect failed: " + status);
                return;
            }
            connectedOk++;
            c.opened();
        }

        @Override
        public void recv(long conn, MemorySegment region, long offset, int length) {
            conns.get(conn).data(region, offset, length);
        }

        @Override
        public void eof(long conn) {
            Conn c = conns.get(conn);
            c.eof = true;
            c.peerClosed();
        }

        @Override
        public void sent(long conn, int bytes) {
            conns.get(conn).acked(bytes);
        }

        @Override
        public void dead(long conn, int reason) {
            Conn c = conns.remove(conn);
            if (c == null) {
                throw new AssertionError("dead for an unknown connection " + conn);
            }
            c.died(reason);
        }
    }

    /** Runs {@code body} with jix's stacks up (queues wrapped by {@code wrap}) and the Python server ready. */
    private interface Body {
        void run(LinuxPeer peer, List<Client> clients, LinuxPeer.Python server, Arena arena) throws Exception;
    }

    private static void withServer(Function<io.jix.nic.NicQueue, io.jix.nic.NicQueue> wrap, Body body) throws Exception {
        List<Client> clients = new ArrayList<>();
        try (Arena arena = Arena.ofShared();
                LinuxPeer.Python server = new LinuxPeer.Python(SERVER);
                LinuxPeer peer = new LinuxPeer(wrap, q -> {
                    Client c = new Client();
                    clients.add(c);
                    return c;
                }, TcpConfig.defaults().withTimeWait(1_000_000_000L))) {
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).tcp = peer.layers.get(i);
            }
            assertThat(server.line()).isEqualTo("ready");
            body.run(peer, clients, server, arena);
            assertThat(server.finish(Duration.ofSeconds(10))).as("unexpected server output").isEmpty();
        }
    }

    /** Opens {@code per} connections of {@code make}'s kind from every stack at once; waits for all to end. */
    private static List<Conn> openEverywhere(LinuxPeer peer, List<Client> clients, int per, int port,
            java.util.function.Supplier<Conn> make, Duration timeout) throws InterruptedException {
        List<Conn> all = new ArrayList<>();
        List<List<Conn>> byStack = new ArrayList<>();
        for (int s = 0; s < clients.size(); s++) {
            List<Conn> mine = new ArrayList<>();
            for (int i = 0; i < per; i++) {
                mine.add(make.get());
            }
            byStack.add(mine);
            all.addAll(mine);
        }
        for (int s = 0; s < clients.size(); s++) {
            Client c = clients.get(s);
            List<Conn> mine = byStack.get(s);
            peer.onLoop(() -> mine.forEach(conn -> c.open(conn, port)));
        }
        peer.await(() -> all.stream().allMatch(c -> c.done), timeout, all.size() + " connections to port " + port);
        for (Conn c : all) {
            assertThat(c.error).isNull();
        }
        for (Client c : clients) {
            assertThat(c.connectFailed).as("failed connects (a SYN-ACK on another queue is reset)").isZero();
        }
        return all;
    }

    // ============================================================================ tests

    /** Bulk in both directions at once, byte-exact: 1 GiB jix → Linux and 1 GiB Linux → jix over four connections. */
    static void bulkBothWays(LinuxPeer peer, List<Client> clients, Arena arena, long perConnection) throws Exception {
        long started = System.nanoTime();
        MemorySegment pattern = LinuxPeer.pattern(arena, 65536);
        MemorySegment count = arena.allocate(8);
        count.set(ValueLayout.JAVA_LONG.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 0, perConnection);
        List<Conn> up = new ArrayList<>();
        List<Conn> downs = new ArrayList<>();
        for (int s = 0; s < clients.size(); s++) {
            Client c = clients.get(s);
            Conn u = new Sender(pattern, perConnection, true) {
                @Override
                void data(MemorySegment region, long offset, int length) {
                    keepText = true;
                    super.data(region, offset, length);
                }
            };
            Conn d = new Conn() {
                @Override
                void opened() {
                    if (tcp.send(handle, count, 0, 8) != 8) {
                        fail("count not taken");
                    }
                }

                @Override
                void peerClosed() {
                    tcp.close(handle);
                }
            };
            up.add(u);
            downs.add(d);
            peer.onLoop(() -> {
                c.open(u, 9001);
                c.open(d, 9002);
            });
        }
        List<Conn> all = new ArrayList<>(up);
        all.addAll(downs);
        peer.await(() -> all.stream().allMatch(c -> c.done), Duration.ofSeconds(150), "bulk transfers");
        String sha = LinuxPeer.patternSha(perConnection);
        for (Conn u : up) {
            assertThat(u.error).isNull();
            assertThat(u.deadReason).isEqualTo(TcpEvents.CLOSED);
            assertThat(u.text.toString()).as("what Linux received, by its own count and SHA-256")
                    .isEqualTo(perConnection + " " + sha);
        }
        for (Conn d : downs) {
            assertThat(d.error).isNull();
            assertThat(d.deadReason).isEqualTo(TcpEvents.CLOSED);
            assertThat(d.received).isEqualTo(perConnection);
            assertThat(HexFormat.of().formatHex(d.rx.digest())).as("SHA-256 of what jix received").isEqualTo(sha);
        }
        for (Client c : clients) {
            assertThat(c.connectedOk).as("each stack connected out").isGreaterThanOrEqualTo(2);
            assertThat(c.connectFailed).isZero();
        }
        System.out.printf("bulk: jix -> Linux done in %.1f s, Linux -> jix in %.1f s%n",
                (up.stream().mapToLong(c -> c.endedAt).max().orElseThrow() - started) / 1e9,
                (downs.stream().mapToLong(c -> c.endedAt).max().orElseThrow() - started) / 1e9);
    }

    @Test
    void bulkBothWaysFromBothQueuesByteExact() throws Exception {
        long started = System.nanoTime();
        withServer(q -> q, (peer, clients, server, arena) -> {
            assertThat(clients).hasSize(2);
            bulkBothWays(peer, clients, arena, BULK_PER_CONNECTION);
        });
        System.out.printf("jix client <-> Linux server: %d MiB each way in %.1f s%n",
                2L * BULK_PER_CONNECTION >> 20, (System.nanoTime() - started) / 1e9);
    }

    @Test
    void bulkBothWaysWithOnePercentOfFramesDroppedAtJixsNic() throws Exception {
        long started = System.nanoTime();
        long perConnection = 512L << 20; // two connections: 1 GiB each way, the same bulk transfer as without loss // two connections: 1 GiB each way, as the issue asks of the lossy run too
        withServer(q -> new LossyQueue(q, LossyQueue.seeded(0x5eed + q.queueId(), 0.01),
                LossyQueue.seeded(0xbad + q.queueId(), 0.01), 64), (peer, clients, server, arena) -> {
                    bulkBothWays(peer, clients, arena, perConnection);
                    long rx = peer.lossy.stream().mapToLong(LossyQueue::rxDropped).sum();
                    long tx = peer.lossy.stream().mapToLong(LossyQueue::txDropped).sum();
                    long timeouts = peer.layers.stream().mapToLong(l -> l.timeouts).sum();
                    long rackLosses = peer.layers.stream().mapToLong(l -> l.rackLosses).sum();
                    System.out.printf("lossy bulk: %d MiB each way, dropped %d received and %d sent frames, "
                            + "%d retransmissions, %d timeouts, %d tail loss probes, %d RACK losses, %d D-SACKs%n",
                            2 * perConnection >> 20, rx, tx, peer.layers.stream().mapToLong(l -> l.retransmits).sum(),
                            timeouts, peer.layers.stream().mapToLong(l -> l.tlpProbes).sum(), rackLosses,
                            peer.layers.stream().mapToLong(l -> l.dsacksReceived).sum());
                    assertThat(rx).as("received frames dropped").isGreaterThan(100);
                    assertThat(tx).as("sent frames dropped").isGreaterThan(100);
                    // Half or more of the sent frames dropped are data (the rest ACKs of Linux's data); RACK finds
                    // nearly all of those, lost retransmissions included. Before it, RFC 6675 alone needed ~540
                    // timeouts for the ~16,700 frames dropped on the way out (one per 31); with it ~70-80.
                    assertThat(rackLosses).as("losses RACK detected").isGreaterThan(tx / 4);
                    assertThat(timeouts).as("retransmission timeouts (one per 31 drops without RACK)").isLessThan(tx / 60);
                });
        System.out.printf("lossy bulk took %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    @Test
    void thousandConcurrentShortConnectionsJixHalfClosesFirst() throws Exception {
        withServer(q -> q, (peer, clients, server, arena) -> {
            MemorySegment[] msg = new MemorySegment[1];
            msg[0] = arena.allocateFrom("jix says hello and closes its side. ".repeat(8), StandardCharsets.US_ASCII);
            long len = msg[0].byteSize() - 1; // without the terminating zero
            List<Conn> all = openEverywhere(peer, clients, 500, 9003, () -> new Conn() {
                @Override
                void opened() {
                    keepText = true;
                    if (tcp.send(handle, msg[0], 0, (int) len) != len) {
                        fail("message not taken");
                        return;
                    }
                    tcp.close(handle); // half-close: the echo still comes back
                }
            }, Duration.ofSeconds(60));
            String expected = msg[0].getString(0, StandardCharsets.US_ASCII);
            for (Conn c : all) {
                assertThat(c.eof).isTrue();
                assertThat(c.deadReason).isEqualTo(TcpEvents.CLOSED);
                assertThat(c.text.toString()).isEqualTo(expected);
            }
            peer.await(() -> peer.layers.stream().mapToInt(TcpLayer::connections).sum() == 0, Duration.ofSeconds(10),
                    "TIME-WAIT to end");
        });
    }

    @Test
    void linuxHalfClosesFirstAndJixKeepsSending() throws Exception {
        withServer(q -> q, (peer, clients, server, arena) -> {
            MemorySegment pattern = LinuxPeer.pattern(arena, 65536);
            List<Conn> all = openEverywhere(peer, clients, 1, 9004, () -> new Sender(pattern, 300_000, false) {
                @Override
                void opened() {
                    // nothing sent before Linux's FIN
                }

                @Override
                void peerClosed() {
                    pump(); // CLOSE-WAIT: we may still send all of it
                }

                @Override
                void acked(int bytes) {
                    super.acked(bytes);
                    if (acked == total) {
                        tcp.close(handle);
                    }
                }
            }, Duration.ofSeconds(30));
            MessageDigest greeting = LinuxPeer.sha();
            greeting.update("linux closes first. ".repeat(1000).getBytes(StandardCharsets.US_ASCII));
            String greetingSha = HexFormat.of().formatHex(greeting.digest());
            for (Conn c : all) {
                assertThat(c.eof).isTrue();
                assertThat(c.received).isEqualTo(20_000);
                assertThat(HexFormat.of().formatHex(c.rx.digest())).isEqualTo(greetingSha);
                assertThat(c.deadReason).isEqualTo(TcpEvents.CLOSED);
            }
            String line = "linux-first 300000 " + LinuxPeer.patternSha(300_000);
            assertThat(server.line()).isEqualTo(line);
            assertThat(server.line()).isEqualTo(line);
        });
    }

    @Test
    void resetsFromEitherSide() throws Exception {
        withServer(q -> q, (peer, clients, server, arena) -> {
            MemorySegment word = arena.allocateFrom("reset", StandardCharsets.US_ASCII);
            // Linux resets (SO_LINGER 0 close) after reading our five bytes: jix sees RESET.
            List<Conn> byLinux = openEverywhere(peer, clients, 1, 9005, () -> new Conn() {
                @Override
                void opened() {
                    tcp.send(handle, word, 0, 5);
                }
            }, Duration.ofSeconds(30));
            for (Conn c : byLinux) {
                assertThat(c.deadReason).isEqualTo(TcpEvents.RESET);
            }
            assertThat(List.of(server.line(), server.line())).containsExactly("reset-sent reset", "reset-sent reset");
            // jix aborts once Linux has acknowledged 1000 bytes: Linux's recv fails with ECONNRESET.
            MemorySegment pattern = LinuxPeer.pattern(arena, 65536);
            List<Conn> byJix = openEverywhere(peer, clients, 1, 9006, () -> new Sender(pattern, 1000, false) {
                @Override
                void acked(int bytes) {
                    super.acked(bytes);
                    if (acked == total) {
                        tcp.abort(handle);
                    }
                }
            }, Duration.ofSeconds(30));
            for (Conn c : byJix) {
                assertThat(c.deadReason).isEqualTo(TcpEvents.ABORTED);
            }
            assertThat(List.of(server.line(), server.line()))
                    .containsExactly("reset-by-jix econnreset 1000", "reset-by-jix econnreset 1000");
        });
    }
}
