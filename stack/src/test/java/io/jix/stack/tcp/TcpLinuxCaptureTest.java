package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.Frame;
import io.jix.nic.fault.LossyQueue;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What crosses the wire, captured in the peer namespace with a few lines of AF_PACKET in Python
 * (no tshark: a heavy package for CI, and its output would need parsing all the same): jix's
 * SYN-ACK offers MSS, SACK-permitted, window scaling and timestamps, and after jix loses one of
 * its own data segments on purpose (a {@link LossyQueue} rule at its NIC), the Linux receiver's
 * ACKs carry SACK blocks and timestamps. The transfer is still byte-exact.
 */
class TcpLinuxCaptureTest {

    private static final int PORT = 8080;
    private static final long SIZE = 2 << 20;

    /** Sniffs TCP on jix1 until stdin closes; prints what the test asserts. */
    private static final String SNIFFER = String.join("\n",
            "import socket, select, sys, struct, os, threading",
            "limit = threading.Timer(60, lambda: os._exit(3))",
            "limit.daemon = True",
            "limit.start()",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))",
            "s.bind(('" + TestNet.PEER_IF + "', 0))",
            "def options(b):",
            "    out = {}",
            "    i = 0",
            "    while i < len(b) and b[i] != 0:",
            "        if b[i] == 1:",
            "            i += 1",
            "            continue",
            "        if i + 1 >= len(b) or b[i + 1] < 2:",
            "            break",
            "        out[b[i]] = b[i + 2:i + b[i + 1]]",
            "        i += b[i + 1]",
            "    return out",
            "synack = None",
            "sack = sack_ts = linux_acks = linux_ts = 0",
            "print('ready', flush=True)",
            "while True:",
            "    r, _, _ = select.select([s, sys.stdin], [], [], 1)",
            "    if sys.stdin in r:",
            "        break",
            "    if s not in r:",
            "        continue",
            "    f = s.recv(65535)",
            "    if len(f) < 54 or f[12:14] != b'\\x08\\x00' or f[23] != 6:",
            "        continue",
            "    ihl = (f[14] & 15) * 4",
            "    src = socket.inet_ntoa(f[26:30])",
            "    t = f[14 + ihl:]",
            "    flags = t[13]",
            "    o = options(t[20:(t[12] >> 4) * 4])",
            "    if src == '" + LinuxPeer.OURS + "' and flags & 0x12 == 0x12 and synack is None:",
            "        synack = 'synack kinds %s mss %d ws %d' % (sorted(o), struct.unpack('>H', o.get(2, b'\\0\\0'))[0],"
                    + " o.get(3, b'\\xff')[0])",
            "    if src == '" + TestNet.PEER_ADDRESS + "' and flags & 0x10:",
            "        linux_acks += 1",
            "        linux_ts += 8 in o",
            "        if 5 in o:",
            "            sack += 1",
            "            sack_ts += 8 in o",
            "print(synack)",
            "print('linux acks %d with timestamps %d' % (linux_acks, linux_ts))",
            "print('sack %s with timestamps %s' % (sack > 0, sack == sack_ts))");

    @BeforeAll
    static void up() {
        TestNetwork.upOrSkip();
    }

    @AfterAll
    static void down() {
        TestNetwork.down();
    }

    /** jix's application: sends SIZE bytes of the pattern to whoever connects, then closes. */
    static final class Server implements TcpEvents {
        TcpLayer tcp;
        MemorySegment pattern;
        final Map<Long, TcpLinuxServerTest.Conn> conns = new HashMap<>();
        final List<TcpLinuxServerTest.Conn> all = new ArrayList<>();

        @Override
        public void accepted(long conn, int localPort, int remoteIp, int remotePort) {
            TcpLinuxServerTest.Conn c = new TcpLinuxServerTest.Sender(pattern, SIZE, true) {
            };
            c.tcp = tcp;
            c.handle = conn;
            conns.put(conn, c);
            synchronized (all) {
                all.add(c);
            }
            c.opened();
        }

        @Override
        public void connected(long conn, int status) {
        }

        @Override
        public void recv(long conn, MemorySegment region, long offset, int length) {
            conns.get(conn).data(region, offset, length);
        }

        @Override
        public void sent(long conn, int bytes) {
            conns.get(conn).acked(bytes);
        }

        @Override
        public void dead(long conn, int reason) {
            conns.remove(conn).died(reason);
        }
    }

    /** Drops the 40th TCP segment with payload that jix sends, once (asked again about the same frame, the same answer). */
    static LossyQueue.DropRule fortiethDataSegment() {
        long[] state = {-1, 0, -1}; // last frame number asked, data segments seen, frame number dropped
        return (k, f) -> {
            if (k == state[0]) {
                return k == state[2];
            }
            state[0] = k;
            if (isTcpData(f) && ++state[1] == 40) {
                state[2] = k;
                return true;
            }
            return false;
        };
    }

    private static boolean isTcpData(Frame f) {
        if (f.length() < 54 || f.u16(12) != 0x0800 || f.u8(23) != 6) {
            return false;
        }
        int ihl = (f.u8(14) & 15) * 4;
        int dataOffset = (f.u8(14 + ihl + 12) >> 4) * 4;
        return f.u16(16) - ihl - dataOffset > 0;
    }

    @Test
    void synAckOffersEveryOptionAndLinuxSacksAfterALoss() throws Exception {
        List<Server> servers = new ArrayList<>();
        try (Arena arena = Arena.ofShared();
                LinuxPeer.Python sniffer = new LinuxPeer.Python(SNIFFER);
                LinuxPeer peer = new LinuxPeer(q -> new LossyQueue(q, LossyQueue.NEVER, fortiethDataSegment(), 64),
                        q -> {
                            Server s = new Server();
                            servers.add(s);
                            return s;
                        }, TcpConfig.defaults().withTimeWait(1_000_000_000L))) {
            MemorySegment pattern = LinuxPeer.pattern(arena, 65536);
            for (int i = 0; i < servers.size(); i++) {
                Server s = servers.get(i);
                s.tcp = peer.layers.get(i);
                s.pattern = pattern;
                TcpLayer layer = s.tcp;
                peer.onLoop(() -> layer.listen(PORT, 16));
            }
            assertThat(sniffer.line()).isEqualTo("ready");
            String client = String.join("\n",
                    "import socket, hashlib",
                    "s = socket.create_connection(('" + LinuxPeer.OURS + "', " + PORT + "), timeout=20)",
                    "h = hashlib.sha256()",
                    "n = 0",
                    "while True:",
                    "    d = s.recv(1 << 20)",
                    "    if not d:",
                    "        break",
                    "    h.update(d)",
                    "    n += len(d)",
                    "s.close()",
                    "print(n, h.hexdigest())");
            String got = TestNet.execInPeer(Duration.ofSeconds(60), "/usr/bin/python3", "-c", client).strip();
            assertThat(got).isEqualTo(SIZE + " " + LinuxPeer.patternSha(SIZE));
            List<TcpLinuxServerTest.Conn> conns = new ArrayList<>();
            servers.forEach(s -> {
                synchronized (s.all) {
                    conns.addAll(s.all);
                }
            });
            assertThat(conns).hasSize(1);
            peer.await(() -> conns.get(0).done, Duration.ofSeconds(10), "jix's close");
            assertThat(conns.get(0).deadReason).isEqualTo(TcpEvents.CLOSED);
            assertThat(peer.lossy.stream().mapToLong(LossyQueue::txDropped).sum()).as("segments dropped").isEqualTo(1);

            List<String> seen = sniffer.finish(Duration.ofSeconds(10));
            System.out.println("capture: " + seen);
            // 2 MSS, 3 window scale, 4 SACK-permitted, 8 timestamps; MSS for a 1500-byte MTU.
            assertThat(seen.get(0)).startsWith("synack kinds [2, 3, 4, 8] mss 1460 ws ");
            assertThat(Integer.parseInt(seen.get(0).substring(seen.get(0).lastIndexOf(' ') + 1))).isBetween(1, 14);
            String[] acks = seen.get(1).split(" ");
            assertThat(Integer.parseInt(acks[2])).as("ACKs from Linux").isPositive();
            assertThat(acks[5]).as("every Linux ACK after the handshake has timestamps").isEqualTo(acks[2]);
            assertThat(seen.get(2)).isEqualTo("sack True with timestamps True");
        }
    }
}
