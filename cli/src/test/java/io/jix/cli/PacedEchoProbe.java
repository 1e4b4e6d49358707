package io.jix.cli;

import io.jix.loadgen.Targets;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A paced echo client that sleeps between requests instead of polling, so it can share a CPU with
 * the server it measures without taking that CPU from it, and that records every request's send
 * time and round trip so the caller can cut windows out of one run afterwards.
 *
 * <p>One sender thread sends 64-byte requests (sequence number + pattern) at a fixed rate, round
 * robin over the connections, sleeping ({@link LockSupport#parkNanos}) until each is due; one
 * reader thread per connection reads the echoes (checked byte for byte) and records, per request,
 * the {@link System#nanoTime()} it was actually sent and its round trip. Latency counts from the
 * actual send, not from when it was due, so the client's own wake-up lateness is not charged to the
 * server; requests keep being sent while replies are outstanding, so a stalled server shows in
 * every request it delays. {@code System.nanoTime()} is CLOCK_MONOTONIC, the same in every process
 * of the machine, so the caller can compare the times with its own.
 *
 * <p>Bounded: at most {@code rate * seconds} requests, {@code seconds} of sending, then at most 3 s
 * for the last replies. Prints {@code started NANOS} when the first request goes, then one summary
 * line; writes {@code (sendNanos, roundTripNanos)} pairs as big-endian longs to the output file.
 *
 * <p>Run as {@code PacedEchoProbe ADDRESS PORT CONNECTIONS RATE SECONDS OUTPUT}.
 */
public final class PacedEchoProbe {
    static final int SIZE = 64;

    private PacedEchoProbe() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress address = Targets.check(InetAddress.ofLiteral(args[0]));
        int port = Integer.parseInt(args[1]);
        int connections = Integer.parseInt(args[2]);
        int rate = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        Path output = Path.of(args[5]);
        if (connections < 1 || connections > 64 || rate < 1 || rate > 100_000 || seconds < 1 || seconds > 120) {
            throw new IllegalArgumentException("connections 1..64, rate 1..100000, seconds 1..120");
        }
        int perConnection = (int) ((long) rate * seconds / connections) + 1;
        SocketChannel[] channels = new SocketChannel[connections];
        long[][] sent = new long[connections][perConnection];
        long[][] roundTrip = new long[connections][perConnection];
        int[] received = new int[connections];
        long[] errors = new long[connections];
        Thread[] readers = new Thread[connections];
        for (int c = 0; c < connections; c++) {
            channels[c] = SocketChannel.open();
            channels[c].setOption(StandardSocketOptions.TCP_NODELAY, true);
            channels[c].connect(new InetSocketAddress(address, port));
            int conn = c;
            readers[c] = Thread.ofPlatform().name("probe-reader-" + c).daemon().start(() ->
                    read(channels[conn], sent[conn], roundTrip[conn], received, errors, conn));
        }
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        System.out.println("started " + start);
        System.out.flush();
        ByteBuffer request = ByteBuffer.allocateDirect(SIZE);
        int[] next = new int[connections];
        long total = (long) rate * seconds;
        for (long k = 0; k < total; k++) {
            long due = start + k * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            int c = (int) (k % connections);
            int seq = next[c];
            if (seq >= perConnection) {
                break;
            }
            fill(request, seq);
            sent[c][seq] = System.nanoTime();
            while (request.hasRemaining()) {
                channels[c].write(request);
            }
            next[c] = seq + 1;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (int c = 0; c < connections; c++) {
            while (volatileRead(received, c) < next[c] && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            channels[c].close();
        }
        for (Thread r : readers) {
            r.join(1000);
        }
        long sentTotal = 0;
        long receivedTotal = 0;
        long errorTotal = 0;
        try (OutputStream file = Files.newOutputStream(output);
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(file, 1 << 16))) {
            for (int c = 0; c < connections; c++) {
                int got = volatileRead(received, c);
                for (int i = 0; i < got; i++) {
                    out.writeLong(sent[c][i]);
                    out.writeLong(roundTrip[c][i]);
                }
                sentTotal += next[c];
                receivedTotal += got;
                errorTotal += errors[c];
            }
        }
        System.out.println("sent=" + sentTotal + " received=" + receivedTotal + " errors=" + errorTotal);
        System.exit(errorTotal == 0 && receivedTotal == sentTotal ? 0 : 3);
    }

    private static void read(SocketChannel ch, long[] sent, long[] roundTrip, int[] received, long[] errors, int c) {
        ByteBuffer reply = ByteBuffer.allocateDirect(SIZE);
        ByteBuffer expected = ByteBuffer.allocateDirect(SIZE);
        try {
            for (int seq = 0; seq < sent.length; seq++) {
                reply.clear();
                while (reply.hasRemaining()) {
                    if (ch.read(reply) < 0) {
                        return;
                    }
                }
                long now = System.nanoTime();
                fill(expected, seq);
                reply.flip();
                if (!reply.equals(expected)) {
                    errors[c]++;
                }
                roundTrip[seq] = now - sent[seq];
                synchronized (received) {
                    received[c] = seq + 1;
                }
            }
        } catch (IOException e) {
            // closed at the end, or the server went away: what arrived is recorded
        }
    }

    private static int volatileRead(int[] received, int c) {
        synchronized (received) {
            return received[c];
        }
    }

    /** Request {@code seq}: its number, then a pattern derived from it. */
    private static void fill(ByteBuffer b, int seq) {
        b.clear();
        b.putLong(seq);
        while (b.hasRemaining()) {
            b.put((byte) (seq * 31 + b.position()));
        }
        b.flip();
    }
}
