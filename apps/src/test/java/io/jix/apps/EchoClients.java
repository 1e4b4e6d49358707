package io.jix.apps;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Many concurrent echo clients on one selector: each connection sends its own random payload in
 * random-sized pieces while it reads the echo back and checks every byte against what it sent.
 * Bounded in time; reports what it saw instead of asserting, so tests can say exactly what failed.
 */
final class EchoClients {

    /** What a run saw. */
    record Result(int connections, int completed, long bytesVerified, int mismatches, String firstProblem) {
    }

    private EchoClients() {
    }

    static Result run(InetSocketAddress server, int connections, int maxPayload, long seed, Duration limit)
            throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        Conn[] conns = new Conn[connections];
        long deadline = System.nanoTime() + limit.toNanos();
        int completed = 0;
        int mismatches = 0;
        long verified = 0;
        String firstProblem = null;
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < connections; i++) {
                byte[] payload = new byte[1 + random.nextInt(maxPayload)];
                random.nextBytes(payload);
                SocketChannel ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.connect(server);
                conns[i] = new Conn(ch, payload, random.split());
                ch.register(selector, SelectionKey.OP_CONNECT, conns[i]);
            }
            ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
            while (completed + mismatches < connections && System.nanoTime() < deadline) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    Conn c = (Conn) key.attachment();
                    try {
                        if (key.isConnectable() && c.channel.finishConnect()) {
                            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                        }
                        if (key.isValid() && key.isWritable()) {
                            c.write();
                            if (c.sent == c.payload.length) {
                                key.interestOps(SelectionKey.OP_READ);
                            }
                        }
                        if (key.isValid() && key.isReadable()) {
                            in.clear();
                            int n = c.channel.read(in);
                            if (n < 0) {
                                throw new IOException("server closed after " + c.received + " of " + c.payload.length);
                            }
                            in.flip();
                            while (in.hasRemaining()) {
                                byte b = in.get();
                                if (c.received >= c.payload.length || b != c.payload[c.received]) {
                                    throw new IOException("byte " + c.received + " differs");
                                }
                                c.received++;
                            }
                            verified += n;
                            if (c.received == c.payload.length) {
                                completed++;
                                key.cancel();
                                c.channel.close();
                            }
                        }
                    } catch (IOException e) {
                        mismatches++;
                        if (firstProblem == null) {
                            firstProblem = e.getMessage();
                        }
                        key.cancel();
                        c.channel.close();
                    }
                }
                selector.selectedKeys().clear();
            }
        } finally {
            for (Conn c : conns) {
                if (c != null) {
                    c.channel.close();
                }
            }
        }
        return new Result(connections, completed, verified, mismatches, firstProblem);
    }

    private static final class Conn {
        final SocketChannel channel;
        final byte[] payload;
        final SplittableRandom random;
        int sent;
        int received;

        Conn(SocketChannel channel, byte[] payload, SplittableRandom random) {
            this.channel = channel;
            this.payload = payload;
            this.random = random;
        }

        void write() throws IOException {
            int piece = Math.min(payload.length - sent, 1 + random.nextInt(8192));
            sent += channel.write(ByteBuffer.wrap(Arrays.copyOfRange(payload, sent, sent + piece)));
        }
    }
}
