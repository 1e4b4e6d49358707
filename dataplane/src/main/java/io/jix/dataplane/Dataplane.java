package io.jix.dataplane;

import io.jix.api.Application;
import io.jix.dataplane.bypass.BypassBackend;
import io.jix.dataplane.bypass.NativePort;
import io.jix.dataplane.kernel.KernelBackend;
import io.jix.dataplane.loop.Backend;
import io.jix.dataplane.loop.Counters;
import io.jix.dataplane.loop.ElasticThread;
import io.jix.dataplane.loop.FlowGroup;
import io.jix.dataplane.loop.HandleTable;
import io.jix.dataplane.loop.Topology;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A running dataplane: flow groups (one per NIC queue on the native backends, one set of
 * {@code SO_REUSEPORT} sockets per core on the kernel backend) run by elastic threads, serving one
 * {@link Application}. Each group is owned by exactly one thread at a time; {@link #move} and
 * {@link #resize} let a control plane hand groups between threads and give threads back, while
 * traffic flows. Start one with {@link #builder()}; {@link #close()} stops it. Its counters are
 * published in a {@link StatsFile} that {@code ./jix stats} reads.
 */
public final class Dataplane implements AutoCloseable {

    /** How long a migration may wait for an application to return receive views made on the old thread. */
    private static final long MOVE_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final List<ElasticThread> threads;
    private final List<FlowGroup> groups;
    private final CompletableFuture<?>[] lastMove;
    private final ExecutorService background;
    private final StatsFile stats;
    private final int[] tcpPorts;
    private final int[] udpPorts;
    private final AutoCloseable port;
    private final int minThreads;
    private boolean closed;
    // Observability: the command channel (./jix ctl); null if its socket could not be made.
    private CommandChannel channel;
    private Commands commands;

    private Dataplane(List<ElasticThread> threads, List<FlowGroup> groups, ExecutorService background,
                      StatsFile stats, int[] tcpPorts, int[] udpPorts, AutoCloseable port, int minThreads) {
        this.port = port;
        this.threads = threads;
        this.groups = groups;
        this.background = background;
        this.stats = stats;
        this.tcpPorts = tcpPorts;
        this.udpPorts = udpPorts;
        this.minThreads = minThreads;
        this.lastMove = new CompletableFuture<?>[groups.size()];
        java.util.Arrays.fill(lastMove, CompletableFuture.completedFuture(null));
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

    /** Number of elastic threads: the most that can run; those without a flow group park. */
    public int threadCount() {
        return threads.size();
    }

    /** The fewest elastic threads the dataplane was configured to run ({@code --cores MIN:MAX}). */
    public int minThreads() {
        return minThreads;
    }

    /** Number of flow groups. */
    public int groupCount() {
        return groups.size();
    }

    /** The elastic thread that owns flow group {@code group} now, or -1 while it moves. */
    public int owner(int group) {
        return groups.get(group).ownerIndex();
    }

    /** Elastic threads that own at least one flow group now. */
    public int activeThreads() {
        boolean[] seen = new boolean[threads.size()];
        int n = 0;
        for (FlowGroup g : groups) {
            int t = g.ownerIndex();
            if (t >= 0 && !seen[t]) {
                seen[t] = true;
                n++;
            }
        }
        return n;
    }

    /**
     * Moves flow group {@code group} to elastic thread {@code thread}: its queue, connections,
     * timers, pending events and the application's per-group state. The owner lets go between two
     * iterations, once the application holds no receive view confined to it; the group's queue
     * buffers what arrives meanwhile. Moves of one group run one after the other. Any thread but
     * an elastic one.
     *
     * @return completes once {@code thread} owns the group; fails if it could not be moved
     */
    public synchronized CompletableFuture<Void> move(int group, int thread) {
        FlowGroup g = groups.get(group);
        ElasticThread target = threads.get(thread);
        CompletableFuture<Void> done = lastMove[group].handle((x, e) -> null).thenCompose(x -> {
            CompletableFuture<Void> f = new CompletableFuture<>();
            int from = g.ownerIndex();
            if (from < 0) {
                f.completeExceptionally(new IllegalStateException("flow group " + group + " has no owner"));
            } else if (from == thread) {
                f.complete(null);
            } else {
                threads.get(from).requestRelease(new ElasticThread.Move(g, target,
                        System.nanoTime() + MOVE_PATIENCE_NANOS, f));
            }
            return f;
        });
        lastMove[group] = done;
        return done;
    }

    /**
     * Runs the flow groups on the first {@code count} elastic threads, spread evenly (group
     * {@code g} on thread {@code g % count}); the other threads give their groups up and park.
     */
    public synchronized CompletableFuture<Void> resize(int count) {
        if (count < 1 || count > threads.size()) {
            throw new IllegalArgumentException("threads must be 1.." + threads.size() + ", got " + count);
        }
        CompletableFuture<?>[] moves = new CompletableFuture<?>[groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            moves[g] = move(g, g % count);
        }
        return CompletableFuture.allOf(moves);
    }

    /** The control commands on the command channel: where the groups are, and moving them by hand. */
    private void registerCommands() {
        commands.register("groups", "which elastic thread owns each flow group", args -> {
            StringBuilder sb = new StringBuilder();
            for (int g = 0; g < groups.size(); g++) {
                sb.append("group ").append(g).append(": thread ").append(owner(g)).append('\n');
            }
            return sb.append(activeThreads()).append(" of ").append(threads.size()).append(" threads running").toString();
        });
        commands.register("move", "move GROUP THREAD: hand a flow group to another elastic thread", args -> {
            if (args.size() != 2) {
                throw new IllegalArgumentException("usage: move GROUP THREAD");
            }
            int g = index(args.get(0), groups.size(), "GROUP");
            int t = index(args.get(1), threads.size(), "THREAD");
            await(move(g, t), "move");
            return "group " + g + " is on thread " + owner(g);
        });
        commands.register("resize", "resize N: run the flow groups on the first N elastic threads"
                + " (an elastic policy, if one runs, decides again afterwards)", args -> {
            if (args.size() != 1) {
                throw new IllegalArgumentException("usage: resize N");
            }
            await(resize(index(args.get(0), threads.size() + 1, "N")), "resize");
            return activeThreads() + " of " + threads.size() + " threads running";
        });
    }

    private static int index(String s, int bound, String what) {
        try {
            int v = Integer.parseInt(s);
            if (v >= 0 && v < bound) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(what + " must be 0.." + (bound - 1) + ", not " + s);
    }

    private static void await(CompletableFuture<Void> f, String what) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " did not finish within 10 s");
        }
    }

    /**
     * How long idle elastic threads keep polling before they park ({@code --idle backoff}); the
     * control plane lowers it at light load. Default {@link ElasticThread#SPIN_NANOS}.
     */
    public void spinNanos(long nanos) {
        for (ElasticThread t : threads) {
            t.spinNanos(nanos);
        }
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

    /** Every counter and the topology now, read as another process would (see {@link StatsFile#snapshot()}). */
    public StatsSnapshot snapshot() {
        return stats.snapshot();
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
        boolean allStopped = true;
        for (ElasticThread t : threads) {
            try {
                t.stopped().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                allStopped = false;
                break;
            } catch (ExecutionException | TimeoutException e) {
                System.err.println("jix: elastic thread did not stop cleanly: " + e);
                allStopped = false;
            }
        }
        if (allStopped) {
            for (FlowGroup g : groups) {
                try {
                    g.close();
                } catch (RuntimeException e) {
                    System.err.println("jix: closing flow group " + g.groupIndex() + " failed: " + e);
                }
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
        private int minThreads; // 0: all of them
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

        /**
         * Elastic: up to {@code max} elastic threads, starting with {@code min} running and the
         * rest parked; a control plane grows and shrinks the running set with {@link #resize}.
         */
        public Builder cores(int min, int max) {
            threads(max);
            if (min < 1 || min > max) {
                throw new IllegalArgumentException("cores must be MIN:MAX with 1 <= MIN <= MAX, got " + min + ":" + max);
            }
            this.minThreads = min;
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

        /** Connection slots per flow group (default 65,536 on the kernel backend, 16,384 on the native ones). */
        public Builder maxConnections(int perThread) {
            if (perThread < 1 || perThread > HandleTable.MAX_SLOTS) {
                throw new IllegalArgumentException("connections per thread must be 1.." + HandleTable.MAX_SLOTS);
            }
            this.maxConnections = perThread;
            this.maxConnectionsSet = true;
            return this;
        }

        /** Receive buffers per flow group and their size (default 2,048 of 16 KiB). */
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

        /** Application timer slots per flow group (default 16,384). */
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
                // One group of SO_REUSEPORT sockets per thread: the kernel spreads connections over them.
                return launch(application, null, threads, (g, counters, tcp, udp) -> new KernelBackend(g,
                        new KernelBackend.Options(sockets(tcp), sockets(udp), maxConnections, rxBuffers,
                                rxBufferSize, rxQuota, 4096), batch, counters));
            }
            NativePort nic = NativePort.open(backend, interfaceName, address, queues, nicQueues, nicMac);
            try {
                int queueCount = nic.queues().size();
                if (!threadsSet || threads > queueCount) {
                    threads = queueCount; // at most one elastic thread per queue, never one that cannot work
                }
                minThreads = Math.min(minThreads, threads);
                Function<NicQueue, NetStackConfig> stackConfig = q -> NetStackConfig
                        .builder(nic.mac(), address.getHostAddress(), prefix).batch(batch)
                        .steering(steering, q.queueId(), queueCount).build();
                int[] tcp = resolve(tcpPorts);
                int[] udp = resolve(udpPorts);
                // Each TCP connection block is preallocated (a few KiB): a smaller default than the kernel backend's.
                int perGroup = maxConnectionsSet ? maxConnections : NATIVE_CONNECTIONS;
                TcpConfig tcpConfig = TcpConfig.defaults().withMaxConnections(perGroup);
                return launch(application, nic, queueCount, (g, counters, t, u) -> nic.backend(g, stackConfig,
                        new BypassBackend.Options(tcp, udp, perGroup, 1024, checkedViews, tcpConfig), batch, counters));
            } catch (RuntimeException | Error e) {
                nic.close();
                throw e;
            }
        }

        /** Makes the backend of flow group {@code g}; {@code tcp}/{@code udp} are the ports as bound so far. */
        private interface BackendFactory {
            Backend create(int g, Counters counters, int[] tcp, int[] udp);
        }

        private Dataplane launch(Application application, AutoCloseable port, int groupCount, BackendFactory factory) {
            Path path = statsPath != null ? statsPath
                    : StatsFile.directory().resolve(Ids.pid() + "-" + name + "-" + SEQUENCE.incrementAndGet() + ".stats");
            StatsFile stats = StatsFile.create(path, name, Ids.pid(), threads, groupCount);
            Topology topology = new Topology() {
                @Override
                public void groupOwner(int group, int thread) {
                    stats.setGroupOwner(group, thread);
                }

                @Override
                public void threadRunning(int thread, boolean running) {
                    stats.setThreadState(thread, running ? StatsFile.RUNNING : StatsFile.PARKED);
                }
            };
            ExecutorService background = Executors.newCachedThreadPool(Thread.ofPlatform().daemon()
                    .name("jix-" + name + "-background-", 0).factory());
            int[] cpus = Affinity.allowedCpus();
            boolean pinning = pin && threads <= cpus.length;
            int running = minThreads > 0 ? minThreads : threads;
            List<ElasticThread> elastic = new ArrayList<>();
            List<FlowGroup> groups = new ArrayList<>();
            int[] tcp = tcpPorts.clone();
            int[] udp = udpPorts.clone();
            try {
                for (int i = 0; i < threads; i++) {
                    topology.threadRunning(i, false); // until it takes a group
                    elastic.add(new ElasticThread(i, pinning ? cpus[i] : -1, idle, new Counters(stats.threadBlock(i)),
                            topology));
                }
                for (int g = 0; g < groupCount; g++) {
                    Counters counters = new Counters(stats.threadBlock(g % running));
                    Backend b = factory.create(g, counters, tcp, udp);
                    // Later groups join the ports the first one bound, so port 0 means one port.
                    tcp = b.tcpPorts().clone();
                    udp = b.udpPorts().clone();
                    groups.add(new FlowGroup(g, groupCount, batch, timers, b, counters, application, background));
                    topology.groupOwner(g, -1);
                }
                for (ElasticThread t : elastic) {
                    Thread.ofPlatform().daemon().name("jix-" + name + "-elastic-" + t.index()).start(t);
                }
                for (FlowGroup g : groups) {
                    elastic.get(g.groupIndex() % running).assign(g, new CompletableFuture<>());
                }
                for (FlowGroup g : groups) {
                    g.started().get(30, TimeUnit.SECONDS);
                }
            } catch (Exception | Error e) {
                Dataplane partial = new Dataplane(elastic, groups, background, stats, tcp, udp, port, running);
                partial.close();
                Throwable cause = e instanceof ExecutionException ee ? ee.getCause() : e;
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("dataplane failed to start: " + cause, cause);
            }
            Dataplane dataplane = new Dataplane(List.copyOf(elastic), List.copyOf(groups), background, stats, tcp,
                    udp, port, running);
            dataplane.commands = Commands.of(stats);
            dataplane.registerCommands();
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
