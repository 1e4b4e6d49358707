package io.jix.loadgen;

import java.nio.ByteBuffer;

/**
 * Echo: each request is {@code size} bytes — its sequence number (8 bytes, big-endian), then a
 * pattern of this connection's — and the reply must be the very same bytes. A reply that differs
 * anywhere is a {@link Workload#MISMATCH}; the stream stays aligned because an echo reply is as
 * long as its request.
 */
public final class EchoWorkload implements Workload {

    /** The smallest message: its sequence number. */
    public static final int MIN_SIZE = Long.BYTES;
    /** The largest message. */
    public static final int MAX_SIZE = 1 << 20;

    private final int size;

    /** Messages of {@code size} bytes, {@value #MIN_SIZE} to {@value #MAX_SIZE}. */
    public EchoWorkload(int size) {
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new IllegalArgumentException("echo message size must be " + MIN_SIZE + ".." + MAX_SIZE
                    + " bytes (it carries an 8-byte sequence number), got " + size);
        }
        this.size = size;
    }

    /** The message size. */
    public int size() {
        return size;
    }

    @Override
    public int maxRequestBytes() {
        return size;
    }

    @Override
    public int maxReplyBytes() {
        return size;
    }

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public Session session(int connection) {
        return new EchoSession(size, connection);
    }

    private static final class EchoSession implements Session {
        private final int size;
        private final ByteBuffer pattern; // bytes 8..size of every request of this connection

        EchoSession(int size, int connection) {
            this.size = size;
            pattern = ByteBuffer.allocateDirect(size - MIN_SIZE);
            for (int i = 0; i < pattern.capacity(); i++) {
                pattern.put(i, (byte) (connection * 131 + i * 7 + 1));
            }
        }

        @Override
        public void writeRequest(ByteBuffer out, long sequence) {
            int at = out.position();
            out.putLong(at, sequence);
            out.put(at + MIN_SIZE, pattern, 0, pattern.capacity());
            out.position(at + size);
        }

        @Override
        public int readReply(ByteBuffer in, long sequence) {
            int at = in.position();
            if (in.limit() - at < size) {
                return NEED_MORE;
            }
            boolean same = in.getLong(at) == sequence;
            if (same && pattern.capacity() > 0) {
                // Compare bytes 8..size with the pattern: ByteBuffer.mismatch works on the remaining
                // bytes of both, so narrow the input to this reply for the call.
                int limit = in.limit();
                in.limit(at + size).position(at + MIN_SIZE);
                pattern.position(0);
                same = in.mismatch(pattern) < 0;
                in.limit(limit);
            }
            in.position(at + size);
            return same ? OK : MISMATCH;
        }
    }
}
