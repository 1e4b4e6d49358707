package io.jix.dataplane;

import io.jix.api.Application;
import io.jix.dataplane.bypass.BypassBackend;
import io.jix.dataplane.bypass.NativePort;
import io.jix.dataplane.kernel.KernelBackend;
import io.jix.dataplane.loop.Backend;
import io.jix.dataplane.loop.Counters;
import io.jix.dataplane.loop.ElasticThread;
import io.jix.dataplane.loop.HandleTable;
import io.jix.nic.FlowSteering;
import io.jix.nic.NicQueue;
import io.jix.stack.NetStackConfig;
import io.jix.stack.tcp.TcpConfig;
import io.jix.sys.Affinity;
import io.jix.sys.Ids;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A running dataplane: one {@link ElasticThread} per configured core, each with its own backend
 * instance, serving one {@link Application}. Start one with {@link #builder()}; {@link #close()}
 * stops it. Its counters are published in a {@link StatsFile} that {@code ./jix stats} reads.
 */
public final class Dataplane implements AutoCloseable {

    private final List<ElasticThread> threads;
    private final ExecutorService background;
    private final StatsFile stats;
    private final int[] tcpPorts;
    private final int[] udpPorts;
    private final AutoCloseable port;
    private boolean closed;
    // Observability: the command channel (./jix ctl); null if its socket could not be made.
    private CommandChannel channel;
    private Commands commands;

    private Dataplane(List<ElasticThread> threads, ExecutorService background, StatsFile stats, int[] tcpPorts,
                      int[] udpPorts, AutoCloseable port) {
        this.port = port;
        this.threads = threads;
        this.background = background;
        this.stats = stats;
        this.tcpPorts = tcpPorts;
        this.udpPorts = udpPorts;
    }

    /** A builder with the defaults: kernel backend, 127.0.0.1, one thread per CPU, backoff idling. */
    public static Builder builder() {
        return new Builder();
    }

    /** The TCP ports served, as bound (a requested port 0 shows the port the kernel chose). */
    public int[] tcpPorts() {
        return tcpPorts.clone();
    }

    /** The UDP ports served, as bound. */
    public int[] udpPorts() {
        return udpPorts.clone();
    }

    /** Number of elastic threads. */
    public int threadCount() {
        return threads.size();
    }

    /** Java thread ids of the elastic threads, for tools such as allocation measurement. */
    public long[] elasticThreadIds() {
        return threads.stream().mapToLong(t -> t.thread().threadId()).toArray();
    }

    /** Counter {@code c} summed over the elastic threads. */
    public long counter(Counter c) {
        return stats.sum(c);
    }

    /** Counter {@code c} of one elastic thread. */
    public long counter(int thread, Counter c) {
        return stats.get(thread, c);
    }

    /** The stats file other processes can read. */
    public Path statsPath() {
        return stats.path();
    }

    /** The commands this dataplane answers on its command channel ({@code ./jix ctl}); register more here. */
    public Commands commands() {
        return commands;
    }

    /** Stops the elastic threads, waits for them, and releases everything. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (channel != null) {
            channel.close(); // first: no command runs against stopping threads
        }
        threads.forEach(ElasticThread::stop);
        for (ElasticThread t : threads) {
            try {
                t.stopped().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException e) {
                System.err.println("jix: elastic thread did not stop cleanly: " + e);
            }
        }
        background.shutdownNow();
        if (port != null) {
            try {
                port.close();
            } catch (Exception e) {
                System.err.println("jix: closing the NIC port failed: " + e);
            }
        }
        stats.close();
    }

    /** Configures and starts a {@link Dataplane}. */
    public static final class Builder {
        private BackendKind backend = BackendKind.KERNEL;
        private InetAddress address = InetAddress.getLoopbackAddress();
        private int[] tcpPorts = {};
        private int[] udpPorts = {};
        private int threads = Affinity.availableCpus();
        private boolean pin = true;
        private Idle idle = Idle.BACKOFF;
        private int batch = 64;
        private int maxConnections = 65_536;
        private int rxBuffers = 2_048;
        private int rxBufferSize = 16_384;
        private long rxQuota = 256 * 1024;
        private int timers = 16_384;
        private String name = "jix";
        private Path statsPath;
        private String interfaceName;
        private int prefix = 24;
        private int queues;
        private boolean checkedViews = true;
        private List<? extends NicQueue> nicQueues;
        private byte[] nicMac;
        private boolean threadsSet;
        private boolean maxConnectionsSet;
        private FlowSteering steering = FlowSteering.UNKNOWN;

        private Builder() {
        }

        /** The network stack to use (default {@link BackendKind#KERNEL}). */
        public Builder backend(BackendKind kind) {
            this.backend = kind;
            return this;
        }

        /** The local address to serve on (default 127.0.0.1). */
        public Builder address(InetAddress address) {
            this.address = address;
            return this;
        }

        /** TCP ports to listen on; 0 picks a free one. */
        public Builder tcpPorts(int... ports) {
            this.tcpPorts = checkPorts(ports);
            return this;
        }

        /** UDP ports to receive on; 0 picks a free one. */
        public Builder udpPorts(int... ports) {
            this.udpPorts = checkPorts(ports);
            return this;
        }

        /** Elastic threads (default: one per CPU this process may use). */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("threads must be 1..256, got " + threads);
            }
            this.threads = threads;
            this.threadsSet = true;
            return this;
        }

        /** The interface whose queues the XDP or PACKET backend takes (e.g. {@code jix0}). */
        public Builder interfaceName(String name) {
            this.interfaceName = name;
            return this;
        }

        /** The prefix length of the address's subnet for the native backends (default 24). */
        public Builder prefix(int prefix) {
            if (prefix < 0 || prefix > 32) {
                throw new IllegalArgumentException("prefix must be 0..32, got " + prefix);
            }
            this.prefix = prefix;
            return this;
        }

        /** NIC queues the native backends use (default: every queue of the interface). */
        public Builder queues(int count) {
            if (count < 1 || count > 256) {
                throw new IllegalArgumentException("queues must be 1..256, got " + count);
            }
            this.queues = count;
            return this;
        }

        /**
         * Whether receive views on the native backends are revoked by {@code recvDone}, so that a
         * stale view throws instead of reading a reused frame (default true). Off, a view is a
         * preallocated read-only slice and receiving allocates nothing.
         */
        public Builder checkedViews(boolean checked) {
            this.checkedViews = checked;
            return this;
        }

        /**
         * How the NIC spreads flows over its queues, for the native backends: outgoing connections
         * pick local ports whose replies arrive on the connecting thread's own queue (default
         * {@link FlowSteering#UNKNOWN}: any port; on a multi-queue port a reply may then reach
         * another thread, which resets it). The test network emulates {@link FlowSteering#PORT_XOR}.
         */
        public Builder steering(FlowSteering steering) {
            this.steering = java.util.Objects.requireNonNull(steering);
            return this;
        }

        /**
         * Runs jix's own stack on these already-open queues ({@link BackendKind#QUEUES}), with
         * Ethernet address {@code mac}: queue {@code q} goes to elastic thread {@code q % threads}.
         * The dataplane closes them.
         */
        public Builder nicQueues(List<? extends NicQueue> queues, byte[] mac) {
            if (queues.isEmpty() || mac.length != 6) {
                throw new IllegalArgumentException("need at least one queue and a 6-byte MAC");
            }
            this.backend = BackendKind.QUEUES;
            this.nicQueues = List.copyOf(queues);
            this.nicMac = mac.clone();
            return this;
        }

        /** Whether to pin each elastic thread to its own CPU (default yes, when there are enough CPUs). */
        public Builder pin(boolean pin) {
            this.pin = pin;
            return this;
        }

        /** What an idle elastic thread does (default {@link Idle#BACKOFF}). */
        public Builder idle(Idle idle) {
            this.idle = idle;
            return this;
        }

        /** Most events per batch (default 64, as IX). */
        public Builder batch(int batch) {
            if (batch < 1 || batch > 4096) {
                throw new IllegalArgumentException("batch must be 1..4096, got " + batch);
            }
            this.batch = batch;
            return this;
        }

        /** Connection slots per elastic thread (default 65,536 on the kernel backend, 16,384 on the native ones). */
        public Builder maxConnections(int perThread) {
            if (perThread < 1 || perThread > HandleTable.MAX_SLOTS) {
                throw new IllegalArgumentException("connections per thread must be 1.." + HandleTable.MAX_SLOTS);
            }
            this.maxConnections = perThread;
            this.maxConnectionsSet = true;
            return this;
        }

        /** Receive buffers per elastic thread and their size (default 2,048 of 16 KiB). */
        public Builder rxBuffers(int count, int size) {
            if (count < 1 || size < 64) {
                throw new IllegalArgumentException("need at least one receive buffer of 64 bytes or more");
            }
            this.rxBuffers = count;
            this.rxBufferSize = size;
            return this;
        }

        /** Received bytes one connection may hold before its reading pauses (default 256 KiB). */
        public Builder rxQuota(long bytes) {
            this.rxQuota = bytes;
            return this;
        }

        /** Application timer slots per elastic thread (default 16,384). */
        public Builder timers(int perThread) {
            this.timers = perThread;
            return this;
        }

        /** A name for stats and thread names. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Where to publish counters (default: {@link StatsFile#directory()}/{@code <pid>-<name>.stats}). */
        public Builder statsPath(Path path) {
            this.statsPath = path;
            return this;
        }

        /**
         * Opens the sockets, starts the elastic threads and the application on each, and returns
         * once every thread is serving. Fails, with nothing left running, if any of that fails.
         */
        public Dataplane start(Application application) {
            if (backend == BackendKind.KERNEL) {
                return launch(application, null, (i, counters, tcp, udp) -> new KernelBackend(i,
                        new KernelBackend.Options(sockets(tcp), sockets(udp), maxConnections, rxBuffers,
                                rxBufferSize, rxQuota, 4096), batch, counters));
            }
            NativePort nic = NativePort.open(backend, interfaceName, address, queues, nicQueues, nicMac);
            try {
                if (!threadsSet || threads > nic.queues().size()) {
                    threads = nic.queues().size(); // one elastic thread per queue, never an idle one
                }
                int queueCount = nic.queues().size();
                Function<NicQueue, NetStackConfig> stackConfig = q -> NetStackConfig
                        .builder(nic.mac(), address.getHostAddress(), prefix).batch(batch)
                        .steering(steering, q.queueId(), queueCount).build();
                int[] tcp = resolve(tcpPorts);
                int[] udp = resolve(udpPorts);
                // Each TCP connection block is preallocated (a few KiB): a smaller default than the kernel backend's.
                int perThread = maxConnectionsSet ? maxConnections : NATIVE_CONNECTIONS;
                TcpConfig tcpConfig = TcpConfig.defaults().withMaxConnections(perThread);
                int threadCount = threads;
                return launch(application, nic, (i, counters, t, u) -> nic.backend(i, threadCount, stackConfig,
                        new BypassBackend.Options(tcp, udp, perThread, 1024, checkedViews, tcpConfig), batch, counters));
            } catch (RuntimeException | Error e) {
                nic.close();
                throw e;
            }
        }

        /** Makes a backend for elastic thread {@code i}; {@code tcp}/{@code udp} are the ports as bound so far. */
        private interface BackendFactory {
            Backend create(int i, Counters counters, int[] tcp, int[] udp);
        }

        private Dataplane launch(Application application, AutoCloseable port, BackendFactory factory) {
            Path path = statsPath != null ? statsPath
                    : StatsFile.directory().resolve(Ids.pid() + "-" + name + "-" + SEQUENCE.incrementAndGet() + ".stats");
            StatsFile stats = StatsFile.create(path, name, Ids.pid(), threads);
            ExecutorService background = Executors.newCachedThreadPool(Thread.ofPlatform().daemon()
                    .name("jix-" + name + "-background-", 0).factory());
            int[] cpus = Affinity.allowedCpus();
            boolean pinning = pin && threads <= cpus.length;
            List<ElasticThread> started = new ArrayList<>();
            int[] tcp = tcpPorts.clone();
            int[] udp = udpPorts.clone();
            try {
                for (int i = 0; i < threads; i++) {
                    Counters counters = new Counters(stats.threadBlock(i));
                    Backend b = factory.create(i, counters, tcp, udp);
                    // Later threads join the ports the first one bound, so port 0 means one port.
                    tcp = b.tcpPorts().clone();
                    udp = b.udpPorts().clone();
                    ElasticThread t = new ElasticThread(i, threads, pinning ? cpus[i] : -1, idle, batch, timers,
                            b, counters, application, background);
                    started.add(t);
                    Thread.ofPlatform().daemon().name("jix-" + name + "-elastic-" + i).start(t);
                }
                for (ElasticThread t : started) {
                    t.started().get(30, TimeUnit.SECONDS);
                }
            } catch (Exception | Error e) {
                Dataplane partial = new Dataplane(started, background, stats, tcp, udp, port);
                partial.close();
                Throwable cause = e instanceof ExecutionException ee ? ee.getCause() : e;
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("dataplane failed to start: " + cause, cause);
            }
            Dataplane dataplane = new Dataplane(List.copyOf(started), background, stats, tcp, udp, port);
            dataplane.commands = Commands.of(stats);
            dataplane.channel = CommandChannel.open(stats, dataplane.commands, "jix-" + name + "-commands");
            return dataplane;
        }

        /** Port 0 on a native backend: the address is the dataplane's alone, so any port is free; take one above 49151. */
        private static int[] resolve(int[] ports) {
            int[] out = ports.clone();
            int next = 49_152;
            for (int i = 0; i < out.length; i++) {
                if (out[i] == 0) {
                    while (contains(ports, next)) {
                        next++;
                    }
                    out[i] = next++;
                }
            }
            return out;
        }

        private static boolean contains(int[] ports, int port) {
            for (int p : ports) {
                if (p == port) {
                    return true;
                }
            }
            return false;
        }

        private InetSocketAddress[] sockets(int[] ports) {
            return Arrays.stream(ports).mapToObj(p -> new InetSocketAddress(address, p))
                    .toArray(InetSocketAddress[]::new);
        }

        private static int[] checkPorts(int[] ports) {
            for (int p : ports) {
                if (p < 0 || p > 65_535) {
                    throw new IllegalArgumentException("port out of range: " + p);
                }
            }
            return ports.clone();
        }

        private static final AtomicInteger SEQUENCE = new AtomicInteger();
        private static final int NATIVE_CONNECTIONS = 16_384;
    }
}
