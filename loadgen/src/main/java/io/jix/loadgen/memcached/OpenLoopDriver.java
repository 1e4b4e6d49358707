package io.jix.loadgen.memcached;

import io.jix.loadgen.LoadGenerator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * One client thread's connections, selector and counters. A phase (the preload, or one rate step)
 * runs on a thread the {@link OpenLoopClient} starts for it; the connections stay open from one
 * phase to the next. Nothing is allocated per request: each connection has direct buffers and a
 * ring of the requests it has in flight, made at connect time.
 */
final class OpenLoopDriver {

    /** Most requests in flight on one connection; beyond it, due requests wait (and that shows as latency). */
    static final int WINDOW = 4096;
    /** Requests in flight per connection while preloading. */
    static final int PRELOAD_WINDOW = 64;

    /** One connection. */
    static final class Conn {
        final int id;
        final SocketChannel channel;
        final SplittableRandom random;
        final ByteBuffer tx;
        final ByteBuffer rx;
        final long[] due = new long[WINDOW]; // when each request in flight was due; MEASURED once counted
        final int[] key = new int[WINDOW];
        final boolean[] get = new boolean[WINDOW];
        long head; // oldest request in flight
        long tail; // next request
        PoissonSchedule schedule;
        int nextPreload;
        boolean dead;

        Conn(int id, SocketChannel channel, long seed, int txBytes, int rxBytes) {
            this.id = id;
            this.channel = channel;
            this.random = new SplittableRandom(seed);
            this.tx = ByteBuffer.allocateDirect(txBytes);
            this.rx = ByteBuffer.allocateDirect(rxBytes);
        }

        int inFlight() {
            return (int) (tail - head);
        }
    }

    /** What the coordinator hands every driver for one phase. */
    record Phase(boolean preload, long start, long measureFrom, long end, long drainBy, double ratePerConnection,
                 long seed) {
    }

    /** {@code due} of a request already recorded (as late): its reply is not recorded again. */
    private static final long MEASURED = Long.MIN_VALUE;

    private final KeyValueMix mix;
    private final int connections; // over the whole client: the preload's key stride
    private final int maxRequest;
    private final Selector selector;
    private final Conn[] conns;
    private final Consumer<SelectionKey> onReady = this::ready;
    final Histogram latency = new Histogram(LoadGenerator.MAX_LATENCY_NANOS, 3);

    private Phase phase;
    private long now;
    // Counters of the current phase; read by the coordinator after the phase's thread ended.
    long inWindow;
    long errors;
    long lost;
    long late;
    long gets;
    long hits;
    long misses;
    long sets;
    long stored;
    long sent;
    long busyNanos; // measured window: time in loop iterations that sent or received something
    private boolean worked;
    String firstError;

    OpenLoopDriver(KeyValueMix mix, int connections, Selector selector, Conn[] conns) {
        this.mix = mix;
        this.connections = connections;
        this.maxRequest = TextProtocol.maxRequestBytes(mix);
        this.selector = selector;
        this.conns = conns;
    }

    Conn[] conns() {
        return conns;
    }

    /** Runs {@code p} to its end; counters start from zero. */
    void run(Phase p) {
        phase = p;
        latency.reset();
        inWindow = errors = lost = late = gets = hits = misses = sets = stored = sent = busyNanos = 0;
        firstError = null;
        try {
            if (p.preload()) {
                preload();
            } else {
                step();
            }
        } catch (IOException e) {
            error("selector: " + e);
        }
    }

    // ------------------------------------------------------------------ preload

    private void preload() throws IOException {
        for (Conn c : conns) {
            c.nextPreload = c.id;
        }
        while (true) {
            now = System.nanoTime();
            boolean busy = false;
            for (Conn c : conns) {
                if (c.dead) {
                    continue;
                }
                while (c.nextPreload < mix.keys() && c.inFlight() < PRELOAD_WINDOW
                        && c.tx.remaining() >= maxRequest) {
                    int flags = c.random.nextInt();
                    TextProtocol.putSet(c.tx, mix, c.nextPreload, flags);
                    push(c, now, c.nextPreload, false);
                    c.nextPreload += connections;
                }
                flush(c);
                busy |= c.inFlight() > 0 || c.nextPreload < mix.keys();
            }
            if (!busy || now - phase.end() >= 0) {
                return;
            }
            selector.select(onReady, 1);
        }
    }

    // ------------------------------------------------------------------ a rate step

    private void step() throws IOException {
        for (Conn c : conns) {
            c.schedule = new PoissonSchedule(phase.seed() * 0x9E3779B97F4A7C15L + c.id, phase.ratePerConnection(),
                    phase.start());
        }
        while (true) {
            now = System.nanoTime();
            if (now - phase.end() >= 0) {
                break;
            }
            long began = now;
            worked = false;
            long earliest = phase.end();
            for (Conn c : conns) {
                if (!c.dead) {
                    issue(c);
                    flush(c);
                    if (c.schedule.due() - earliest < 0) {
                        earliest = c.schedule.due();
                    }
                }
            }
            // Sleep in select only when nothing is due for a while: its timeout is in milliseconds.
            if (earliest - System.nanoTime() > 2_000_000) {
                selector.select(onReady, 1);
            } else {
                selector.selectNow(onReady);
            }
            if (worked && began - phase.measureFrom() >= 0) {
                busyNanos += System.nanoTime() - began;
            }
        }
        while (outstanding() && System.nanoTime() - phase.drainBy() < 0) {
            for (Conn c : conns) {
                if (!c.dead) {
                    flush(c);
                }
            }
            selector.select(onReady, 1);
        }
        now = System.nanoTime();
        for (Conn c : conns) {
            for (long s = c.head; s < c.tail; s++) {
                int slot = (int) (s & (WINDOW - 1));
                if (measured(c.due[slot])) {
                    // Unanswered by the end of the drain: record what it has waited so far (a lower bound).
                    latency.recordValue(Math.min(now - c.due[slot], LoadGenerator.MAX_LATENCY_NANOS));
                    c.due[slot] = MEASURED;
                    late++;
                }
            }
        }
    }

    private boolean measured(long due) {
        return due != MEASURED && due - phase.measureFrom() >= 0 && due - phase.end() < 0;
    }

    private boolean outstanding() {
        for (Conn c : conns) {
            if (!c.dead && c.inFlight() > 0) {
                return true;
            }
        }
        return false;
    }

    /** Writes every request of {@code c} that is due by now, while there is room. */
    private void issue(Conn c) {
        PoissonSchedule s = c.schedule;
        while (s.due() - now <= 0 && c.inFlight() < WINDOW && c.tx.remaining() >= maxRequest) {
            int key = mix.nextKey(c.random);
            boolean get = mix.nextIsGet(c.random);
            if (get) {
                TextProtocol.putGet(c.tx, mix, key);
            } else {
                TextProtocol.putSet(c.tx, mix, key, c.random.nextInt());
            }
            push(c, s.due(), key, get);
            s.advance();
            sent++;
            worked = true;
        }
    }

    private void push(Conn c, long due, int key, boolean get) {
        int slot = (int) (c.tail & (WINDOW - 1));
        c.due[slot] = due;
        c.key[slot] = key;
        c.get[slot] = get;
        c.tail++;
    }

    private void flush(Conn c) {
        ByteBuffer tx = c.tx;
        if (tx.position() == 0) {
            return;
        }
        tx.flip();
        try {
            c.channel.write(tx);
        } catch (IOException e) {
            tx.clear();
            lose(c, "write: " + e.getMessage());
            return;
        }
        tx.compact();
    }

    // ------------------------------------------------------------------ replies

    private void ready(SelectionKey key) {
        Conn c = (Conn) key.attachment();
        if (c.dead || !key.isValid() || !key.isReadable()) {
            return;
        }
        now = System.nanoTime();
        ByteBuffer rx = c.rx;
        int n;
        try {
            n = c.channel.read(rx);
        } catch (IOException e) {
            lose(c, "read: " + e.getMessage());
            return;
        }
        if (n < 0) {
            lose(c, "the server closed connection " + c.id);
            return;
        }
        rx.flip();
        worked |= n > 0;
        while (rx.hasRemaining()) {
            if (c.inFlight() == 0) {
                lose(c, "a reply nobody asked for on connection " + c.id);
                return;
            }
            int slot = (int) (c.head & (WINDOW - 1));
            boolean get = c.get[slot];
            int status = get ? TextProtocol.readGet(rx, mix, c.key[slot]) : TextProtocol.readSet(rx);
            if (status == TextProtocol.NEED_MORE) {
                break;
            }
            if (status == TextProtocol.GARBAGE) {
                lose(c, "garbage in reply to " + (get ? "get " : "set ") + mix.keyText(c.key[slot]));
                return;
            }
            count(c, slot, get, status);
            c.head++;
        }
        rx.compact();
        if (!rx.hasRemaining()) {
            lose(c, "a reply longer than the receive buffer on connection " + c.id);
        }
    }

    private void count(Conn c, int slot, boolean get, int status) {
        switch (status) {
            case TextProtocol.HIT -> hits++;
            case TextProtocol.MISS -> misses++;
            case TextProtocol.STORED -> stored++;
            default -> error((get ? "wrong reply to get " : "wrong reply to set ") + mix.keyText(c.key[slot]));
        }
        if (phase.preload()) {
            return;
        }
        if (get) {
            gets++;
        } else {
            sets++;
        }
        long due = c.due[slot];
        if (measured(due)) {
            latency.recordValue(Math.clamp(now - due, 0, LoadGenerator.MAX_LATENCY_NANOS));
        }
        if (now - phase.measureFrom() >= 0 && now - phase.end() < 0) {
            inWindow++;
        }
    }

    private void error(String what) {
        errors++;
        if (firstError == null) {
            firstError = what;
        }
    }

    private void lose(Conn c, String why) {
        if (c.dead) {
            return;
        }
        c.dead = true;
        lost++;
        // Requests in flight on it are never answered: each one is an error.
        error(why);
        errors += Math.max(0, c.inFlight() - 1);
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closed is closed
        }
    }

    void close() {
        for (Conn c : conns) {
            try {
                c.channel.close();
            } catch (IOException ignored) {
                // best effort
            }
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
