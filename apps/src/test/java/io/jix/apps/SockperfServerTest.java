package io.jix.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.sockperf.SockperfServer;
import io.jix.dataplane.Dataplane;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sockperf server's protocol, without privileges: framing, pong flags, silence, garbage. */
class SockperfServerTest {

    private static Dataplane dataplane;

    @BeforeAll
    static void start() {
        dataplane = Dataplane.builder().threads(1).tcpPorts(0).udpPorts(0).name("sockperf-test")
                .start(SockperfServer.application());
    }

    @AfterAll
    static void stop() {
        dataplane.close();
    }

    static byte[] message(long seq, int flags, int length) {
        ByteBuffer b = ByteBuffer.allocate(length); // big-endian, as sockperf's header
        b.putLong(seq).putShort((short) flags).putInt(length);
        while (b.hasRemaining()) {
            b.put((byte) (b.position() * 31));
        }
        return b.array();
    }

    @Test
    void tcpPongsComeBackWithTheClientFlagClearedAndOthersAreSwallowed() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), dataplane.tcpPorts()[0])) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] silent = message(1, 1, 100);          // client, no pong request
            byte[] ping = message(2, 1 | 2, 64);         // client + pong request
            byte[] both = new byte[silent.length + ping.length];
            System.arraycopy(silent, 0, both, 0, silent.length);
            System.arraycopy(ping, 0, both, silent.length, ping.length);
            // Split in awkward places: inside the header, inside the body.
            out.write(both, 0, 5);
            out.flush();
            Thread.sleep(20);
            out.write(both, 5, 110);
            out.flush();
            Thread.sleep(20);
            out.write(both, 115, both.length - 115);
            out.flush();
            byte[] reply = new byte[64];
            in.readFully(reply);
            byte[] expected = ping.clone();
            expected[9] = 2; // client bit cleared, pong bit kept
            assertThat(reply).isEqualTo(expected);
            s.setSoTimeout(200);
            org.assertj.core.api.Assertions.assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void garbageLengthClosesTheConnection() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), dataplane.tcpPorts()[0])) {
            s.setSoTimeout(5_000);
            byte[] bad = message(3, 3, 14);
            ByteBuffer.wrap(bad).putInt(10, 3); // shorter than its own header
            s.getOutputStream().write(bad);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void udpPongs() throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(5_000);
            InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), dataplane.udpPorts()[0]);
            s.send(new DatagramPacket(message(9, 1, 50), 50, server));    // no pong wanted
            byte[] ping = message(10, 3, 64);
            s.send(new DatagramPacket(ping, 64, server));
            DatagramPacket back = new DatagramPacket(new byte[100], 100);
            s.receive(back);
            assertThat(back.getLength()).isEqualTo(64);
            assertThat(ByteBuffer.wrap(back.getData()).getLong(0)).isEqualTo(10);
            assertThat(back.getData()[9]).isEqualTo((byte) 2);
        }
    }
}
