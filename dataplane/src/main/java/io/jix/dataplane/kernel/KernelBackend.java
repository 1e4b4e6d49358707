package io.jix.dataplane.kernel;

import static io.jix.sys.Net.*;

import io.jix.api.Endpoint;
import io.jix.api.IoVector;
import io.jix.api.Status;
import io.jix.dataplane.Counter;
import io.jix.dataplane.loop.Backend;
import io.jix.dataplane.loop.Counters;
import io.jix.dataplane.loop.EventBatch;
import io.jix.dataplane.loop.HandleTable;
import io.jix.sys.EpollEvents;
import io.jix.sys.Errno;
import io.jix.sys.IoVecArray;
import io.jix.sys.SockAddr;
import io.jix.sys.SysException;
import io.jix.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The Linux kernel's TCP/IP behind the jix API: Seastar's "posix stack". Each flow group has its
 * own epoll instance and its own {@code SO_REUSEPORT} listening sockets, so the kernel's flow
 * hash keeps each connection in one group as RSS does for IX, and the group moves between elastic
 * threads whole. Connections live in struct-of-arrays slots named by {@link HandleTable} handles;
 * received bytes go into the group's {@link RxBuffers} and reach the application as read-only views; every call on the
 * steady-state path is one plain syscall on preallocated memory.
 *
 * <p>Deferred events ({@code sent}, {@code dead}, {@code connected}) are flagged on the slot and
 * the slot is queued on a ready list, which the next {@link #poll} drains before it asks epoll
 * for more: events never get lost when a batch is full, and never wait for I/O.
 */
public final class KernelBackend implements Backend {

    /** Sizing of one flow group's backend. */
    public record Options(InetSocketAddress[] tcp, InetSocketAddress[] udp, int maxConnections, int rxBuffers,
                          int rxBufferSize, long rxQuota, int backlog) {
    }

    private static final byte FREE = 0;
    private static final byte KNOCKING = 1;
    private static final byte CONNECTING = 2;
    private static final byte OPEN = 3;
    private static final byte DEAD = 4;
    private static final byte FAILED = 5;

    private static final int P_SENT = 1;
    private static final int P_DEAD = 2;
    private static final int P_CONNECTED = 4;

    private static final int MSG_TRUNC = 0x20;
    private static final long TAG_LISTEN = -1_000;
    private static final long LISTENER_PAUSE_NANOS = 100_000_000L;
    private static final long TAG_UDP = -2_000;
    private static final int READABLE = EPOLLIN | EPOLLRDHUP;

    private final long[] listenerPausedUntil; // per listener: 0, or when to listen again
    private int pausedListeners;
    private final Syscalls sys = new Syscalls();
    private final Arena arena = Arena.ofShared();
    private final Counters counters;
    private final HandleTable handles;
    private final RxBuffers rx;
    private final long rxQuota;
    private final int epfd;
    private final int[] listenFds;
    private final int[] tcpPorts;
    private final int[] udpFds;
    private final int[] udpPorts;
    private final EpollEvents events;
    private final SockAddr peer = new SockAddr(arena);
    private final SockAddr udpPeer = new SockAddr(arena);
    private final IoVecArray iov;
    private final MemorySegment scratch;

    // Per connection slot.
    private final int[] fd;
    private final byte[] state;
    private final Object[] cookie;
    private final int[] interest;
    private final long[] held;
    private final int[] rxHead;
    private final int[] rxTail;
    private final long[] sentBytes;
    private final int[] pending;
    private final int[] status;
    private final boolean[] blockedOnWindow;
    private final int[] txLent;      // transmit buffers lent to the slot
    private final int[] txTail;      // buffer whose tail the kernel has not taken yet, or -1
    private final int[] txTailOff;
    private final int[] txTailLen;
    private final TxBuffers tx;
    private final boolean[] rxParked;
    private final int[] readyNext;
    private final boolean[] queued;
    private int readyHead = -1;
    private int readyTail = -1;

    // Connections whose reading is paused for want of buffers or quota.
    private final long[] parkedRx;
    private int parkedCount;
    // Knocks of the current batch, rejected at its end if unanswered.
    private final long[] knocks;
    private int knockCount;
    // Datagram chunks lent to the current batch.
    private final int[] udpChunks;
    private int udpChunkCount;
    // udpSent notifications waiting for the next batch.
    private final Object[] udpSentCookie = new Object[4096];
    private final int[] udpSentStatus = new int[4096];
    private int udpSentHead;
    private int udpSentCount;

    /**
     * Opens this group's sockets. Addresses with port 0 are bound to a free port; read the
     * result from {@link #tcpPorts()} and {@link #udpPorts()}.
     */
    public KernelBackend(int group, Options options, int batchCap, Counters counters) {
        this.counters = counters;
        this.handles = new HandleTable(group, options.maxConnections());
        this.rx = new RxBuffers(options.rxBuffers(), options.rxBufferSize());
        this.rxQuota = options.rxQuota();
        int n = options.maxConnections();
        fd = new int[n];
        state = new byte[n];
        cookie = new Object[n];
        interest = new int[n];
        held = new long[n];
        rxHead = new int[n];
        rxTail = new int[n];
        sentBytes = new long[n];
        pending = new int[n];
        status = new int[n];
        blockedOnWindow = new boolean[n];
        txLent = new int[n];
        txTail = new int[n];
        java.util.Arrays.fill(txTail, -1);
        txTailOff = new int[n];
        txTailLen = new int[n];
        tx = new TxBuffers(1024);
        rxParked = new boolean[n];
        readyNext = new int[n];
        queued = new boolean[n];
        parkedRx = new long[n];
        knocks = new long[batchCap];
        udpChunks = new int[batchCap];
        events = new EpollEvents(arena, Math.max(batchCap, 16));
        iov = new IoVecArray(arena, 64);
        scratch = arena.allocate(65_536, 64);
        java.util.Arrays.fill(fd, -1);
        java.util.Arrays.fill(rxHead, -1);
        java.util.Arrays.fill(rxTail, -1);

        epfd = sys.epollCreate();
        listenFds = new int[options.tcp().length];
        listenerPausedUntil = new long[listenFds.length];
        tcpPorts = new int[listenFds.length];
        for (int i = 0; i < listenFds.length; i++) {
            listenFds[i] = openSocket(options.tcp()[i], SOCK_STREAM);
            sys.setsockopt(listenFds[i], IPPROTO_TCP, TCP_NODELAY, 1);
            sys.listen(listenFds[i], options.backlog());
            tcpPorts[i] = boundPort(listenFds[i]);
            sys.epollCtl(epfd, EPOLL_CTL_ADD, listenFds[i], EPOLLIN, TAG_LISTEN - i);
        }
        udpFds = new int[options.udp().length];
        udpPorts = new int[udpFds.length];
        for (int i = 0; i < udpFds.length; i++) {
            udpFds[i] = openSocket(options.udp()[i], SOCK_DGRAM);
            udpPorts[i] = boundPort(udpFds[i]);
            sys.epollCtl(epfd, EPOLL_CTL_ADD, udpFds[i], EPOLLIN, TAG_UDP - i);
        }
    }

    private int openSocket(InetSocketAddress address, int type) {
        int family = address.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
        int s = sys.socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        try {
            sys.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1);
            sys.setsockopt(s, SOL_SOCKET, SO_REUSEPORT, 1);
            sys.bind(s, peer.set(address));
            return s;
        } catch (SysException e) {
            sys.close(s);
            throw e;
        }
    }

    private int boundPort(int socket) {
        sys.localAddress(socket, peer);
        return peer.port();
    }

    @Override
    public int[] tcpPorts() {
        return tcpPorts;
    }

    @Override
    public int[] udpPorts() {
        return udpPorts;
    }

    // ---- polling ----

    @Override
    public int poll(EventBatch batch) {
        int before = batch.size();
        if (parkedCount > 0) {
            // recvDone or close may have freed buffers since, in a batch or in a task.
            resumeParked();
        }
        if (pausedListeners > 0) {
            resumeListeners();
        }
        drainUdpSent(batch);
        drainReady(batch);
        if (batch.isFull()) {
            return batch.size() - before;
        }
        int max = Math.min(events.capacity(), batch.remaining());
        int n = sys.epollWait(epfd, events, max, 0);
        if (n < 0) {
            if (n == -Errno.EINTR) {
                return batch.size() - before;
            }
            throw new SysException("epoll_wait", -n, "epoll fd " + epfd);
        }
        for (int i = 0; i < n; i++) {
            long data = events.data(i);
            int ev = events.events(i);
            if (data >= 0) {
                onConnection(data, ev, batch);
            } else if (data > TAG_UDP) {
                onListener((int) (TAG_LISTEN - data), batch);
            } else {
                onDatagrams((int) (TAG_UDP - data), batch);
            }
        }
        return batch.size() - before;
    }

    private void onConnection(long h, int ev, EventBatch batch) {
        if (!handles.isLive(h)) {
            return;
        }
        int slot = slotOf(h);
        if (state[slot] == CONNECTING) {
            finishConnect(slot);
            return;
        }
        if (state[slot] != OPEN) {
            return;
        }
        if ((ev & EPOLLOUT) != 0 && blockedOnWindow[slot] && sendTail(slot)) {
            blockedOnWindow[slot] = false;
            setInterest(slot, rxParked[slot] ? 0 : READABLE);
            pending[slot] |= P_SENT;
            enqueue(slot);
        }
        if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
            read(slot, h, batch);
        }
    }

    private void read(int slot, long h, EventBatch batch) {
        if (batch.isFull() || rxParked[slot]) {
            return;
        }
        if (held[slot] >= rxQuota) {
            parkRx(slot, h);
            return;
        }
        int chunk = rx.take();
        if (chunk < 0) {
            counters.increment(Counter.RX_POOL_EMPTY);
            parkRx(slot, h);
            return;
        }
        long n = sys.recv(fd[slot], rx.address(chunk), rx.size(), 0);
        if (n > 0) {
            rx.length[chunk] = (int) n;
            if (rxTail[slot] < 0) {
                rxHead[slot] = chunk;
            } else {
                rx.next[rxTail[slot]] = chunk;
            }
            rxTail[slot] = chunk;
            held[slot] += n;
            counters.add(Counter.RX_BYTES, n);
            batch.addRecv(cookie[slot], h, rx.view(chunk), 0, (int) n);
            return;
        }
        rx.give(chunk);
        if (n == 0) {
            die(slot, Status.PEER_CLOSED);
        } else if (n != -Errno.EAGAIN && n != -Errno.EINTR) {
            die(slot, statusOf((int) -n));
        }
    }

    /**
     * Out of descriptors (EMFILE, ENFILE) or memory: the waiting connection stays queued and its
     * listener readable, so a level-triggered epoll would report it on every wait and the loop
     * would spin on failing accepts. Stop listening for a while instead; connections that close
     * meanwhile free descriptors, and the kernel's backlog holds the rest.
     */
    private void pauseListener(int index) {
        if (listenerPausedUntil[index] != 0) {
            return;
        }
        sys.epollCtl(epfd, EPOLL_CTL_MOD, listenFds[index], 0, TAG_LISTEN - index);
        listenerPausedUntil[index] = System.nanoTime() + LISTENER_PAUSE_NANOS;
        pausedListeners++;
    }

    private void resumeListeners() {
        long now = System.nanoTime();
        for (int i = 0; i < listenFds.length; i++) {
            if (listenerPausedUntil[i] != 0 && now - listenerPausedUntil[i] >= 0) {
                listenerPausedUntil[i] = 0;
                pausedListeners--;
                sys.epollCtl(epfd, EPOLL_CTL_MOD, listenFds[i], EPOLLIN, TAG_LISTEN - i);
            }
        }
    }

    private void onListener(int index, EventBatch batch) {
        int listener = listenFds[index];
        while (!batch.isFull()) {
            int s = sys.accept4(listener, peer, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (s < 0) {
                if (s != -Errno.EAGAIN && s != -Errno.EINTR && s != -Errno.ECONNABORTED) {
                    counters.increment(Counter.ACCEPT_ERRORS);
                    pauseListener(index);
                }
                return;
            }
            long h = handles.allocate();
            if (h < 0) {
                counters.increment(Counter.TABLE_FULL);
                resetAndClose(s);
                continue;
            }
            int slot = slotOf(h);
            fd[slot] = s;
            state[slot] = KNOCKING;
            knocks[knockCount++] = h;
            counters.increment(Counter.KNOCKS);
            fill(batch.addKnock(h, tcpPorts[index]), peer);
        }
    }

    private void onDatagrams(int index, EventBatch batch) {
        int socket = udpFds[index];
        while (!batch.isFull()) {
            int chunk = rx.take();
            if (chunk < 0) {
                counters.increment(Counter.RX_POOL_EMPTY);
                return;
            }
            long n = sys.recvfrom(socket, rx.address(chunk), rx.size(), MSG_TRUNC, udpPeer);
            if (n < 0) {
                rx.give(chunk);
                return;
            }
            if (n > rx.size()) {
                rx.give(chunk);
                counters.increment(Counter.UDP_DROPS);
                continue;
            }
            udpChunks[udpChunkCount++] = chunk;
            counters.increment(Counter.UDP_RX);
            fill(batch.addUdpRecv(rx.view(chunk), 0, (int) n, udpPorts[index]), udpPeer);
        }
    }

    private void drainReady(EventBatch batch) {
        while (readyHead != -1 && !batch.isFull()) {
            int slot = readyHead;
            long h = handles.handle(slot);
            if ((pending[slot] & P_CONNECTED) != 0) {
                pending[slot] &= ~P_CONNECTED;
                batch.addConnected(cookie[slot], h, status[slot]);
                if (state[slot] == FAILED) {
                    free(slot);
                }
            }
            if ((pending[slot] & P_SENT) != 0 && !batch.isFull()) {
                pending[slot] &= ~P_SENT;
                batch.addSent(cookie[slot], h, sentBytes[slot]);
                sentBytes[slot] = 0;
            }
            if ((pending[slot] & P_DEAD) != 0 && !batch.isFull()) {
                pending[slot] &= ~P_DEAD;
                batch.addDead(cookie[slot], h, status[slot]);
            }
            if (pending[slot] != 0) {
                return;
            }
            readyHead = readyNext[slot];
            queued[slot] = false;
            if (readyHead == -1) {
                readyTail = -1;
            }
        }
    }

    private void drainUdpSent(EventBatch batch) {
        while (udpSentCount > 0 && !batch.isFull()) {
            int i = udpSentHead;
            batch.addUdpSent(udpSentCookie[i], udpSentStatus[i]);
            udpSentCookie[i] = null;
            udpSentHead = (i + 1) % udpSentCookie.length;
            udpSentCount--;
        }
    }

    @Override
    public void endBatch(EventBatch batch) {
        for (int i = 0; i < knockCount; i++) {
            long h = knocks[i];
            if (handles.isLive(h) && state[slotOf(h)] == KNOCKING) {
                counters.increment(Counter.REJECTS);
                closeKnock(slotOf(h));
            }
        }
        knockCount = 0;
        for (int i = 0; i < udpChunkCount; i++) {
            rx.give(udpChunks[i]);
        }
        udpChunkCount = 0;
    }

    // ---- calls ----

    @Override
    public boolean isLive(long handle) {
        return handles.isLive(handle);
    }

    @Override
    public void accept(long handle, Object c) {
        int slot = handles.slot(handle);
        requireState(slot, KNOCKING, "accept");
        cookie[slot] = c;
        state[slot] = OPEN;
        sys.epollCtl(epfd, EPOLL_CTL_ADD, fd[slot], READABLE, handle);
        interest[slot] = READABLE;
        counters.increment(Counter.ACCEPTS);
        counters.increment(Counter.OPEN_CONNECTIONS);
    }

    @Override
    public void reject(long handle) {
        int slot = handles.slot(handle);
        requireState(slot, KNOCKING, "reject");
        counters.increment(Counter.REJECTS);
        closeKnock(slot);
    }

    @Override
    public long connect(Object c, InetSocketAddress remote) {
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + remote);
        }
        long h = handles.allocate();
        if (h < 0) {
            counters.increment(Counter.TABLE_FULL);
            throw new IllegalStateException("connection table full (" + handles.capacity() + " slots)");
        }
        int slot = slotOf(h);
        int family = remote.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
        int s;
        try {
            s = sys.socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        } catch (SysException e) {
            handles.release(slot);
            throw e;
        }
        fd[slot] = s;
        cookie[slot] = c;
        sys.setsockopt(s, IPPROTO_TCP, TCP_NODELAY, 1);
        int r = sys.connect(s, peer.set(remote));
        if (r == 0 || r == -Errno.EINPROGRESS) {
            state[slot] = CONNECTING;
            sys.epollCtl(epfd, EPOLL_CTL_ADD, s, EPOLLOUT, h);
            interest[slot] = EPOLLOUT;
        } else {
            failConnect(slot, statusOf(-r));
        }
        return h;
    }

    private void finishConnect(int slot) {
        int err = sys.getsockopt(fd[slot], SOL_SOCKET, SO_ERROR);
        if (err != 0) {
            failConnect(slot, statusOf(err));
            return;
        }
        state[slot] = OPEN;
        setInterest(slot, READABLE);
        status[slot] = Status.OK;
        pending[slot] |= P_CONNECTED;
        enqueue(slot);
        counters.increment(Counter.CONNECTS);
        counters.increment(Counter.OPEN_CONNECTIONS);
    }

    private void failConnect(int slot, int why) {
        sys.close(fd[slot]);
        fd[slot] = -1;
        state[slot] = FAILED;
        status[slot] = why;
        pending[slot] |= P_CONNECTED;
        enqueue(slot);
    }

    @Override
    public long send(long handle, MemorySegment data, long offset, long length) {
        int slot = handles.slot(handle);
        if (!writable(slot, "send")) {
            return 0;
        }
        requireNative(data);
        Objects.checkFromIndexSize(offset, length, data.byteSize());
        if (length == 0) {
            return 0;
        }
        long n = sys.send(fd[slot], data.address() + offset, length, MSG_DONTWAIT | MSG_NOSIGNAL);
        return afterSend(slot, n, length);
    }

    @Override
    public long sendv(long handle, IoVector vector) {
        int slot = handles.slot(handle);
        if (!writable(slot, "sendv")) {
            return 0;
        }
        int count = vector.count();
        if (count > iov.capacity()) {
            throw new IllegalArgumentException("sendv takes at most " + iov.capacity() + " pieces, got " + count);
        }
        long total = 0;
        for (int i = 0; i < count; i++) {
            MemorySegment s = vector.segment(i);
            requireNative(s);
            Objects.checkFromIndexSize(vector.offset(i), vector.length(i), s.byteSize());
            iov.set(i, s.address() + vector.offset(i), vector.length(i));
            total += vector.length(i);
        }
        if (total == 0) {
            return 0;
        }
        long n = sys.writev(fd[slot], iov.address(), count);
        return afterSend(slot, n, total);
    }

    // ---- transmit buffers: the kernel copies, so they come back once the kernel took all of them ----

    /** Most transmit buffers one connection may hold. */
    private static final int TX_BUFFERS_PER_CONNECTION = 64;

    @Override
    public MemorySegment txBuffer(long handle) {
        int slot = handles.slot(handle);
        if (state[slot] == DEAD) {
            return null; // as the native backends: nothing more can be sent
        }
        requireState(slot, OPEN, "txBuffer");
        if (txLent[slot] >= TX_BUFFERS_PER_CONNECTION) {
            return null;
        }
        int b = tx.take(slot);
        if (b < 0) {
            return null;
        }
        txLent[slot]++;
        return tx.view(b);
    }

    @Override
    public long sendBuffer(long handle, MemorySegment buffer, int length) {
        int slot = handles.slot(handle);
        int b = lentBuffer(slot, buffer, "sendBuffer");
        if (length < 1 || length > TxBuffers.SIZE) {
            throw new IllegalArgumentException("sendBuffer: length " + length + " outside 1.." + TxBuffers.SIZE);
        }
        if (!writable(slot, "sendBuffer")) {
            return 0;
        }
        long n = sys.send(fd[slot], tx.address(b), length, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && (n == -Errno.EAGAIN || n == -Errno.EINTR)) {
            waitForWindow(slot);
            return 0; // nothing taken: still the application's
        }
        txLent[slot]--;
        if (n == length || n < 0) {
            tx.give(b); // all sent, or the connection failed (afterSend reports it)
        } else {
            txTail[slot] = b; // the kernel took part: the rest goes first once the socket is writable
            txTailOff[slot] = (int) n;
            txTailLen[slot] = length - (int) n;
        }
        afterSend(slot, n, length);
        return n < 0 ? 0 : length;
    }

    @Override
    public void releaseBuffer(long handle, MemorySegment buffer) {
        int slot = handles.slot(handle);
        tx.give(lentBuffer(slot, buffer, "releaseBuffer"));
        txLent[slot]--;
    }

    private int lentBuffer(int slot, MemorySegment buffer, String call) {
        int b = tx.lentTo(slot, buffer);
        if (b < 0 || b == txTail[slot]) {
            throw new IllegalArgumentException(call + ": not a transmit buffer this connection holds");
        }
        return b;
    }

    /** Sends what is left of a partly taken transmit buffer; true when nothing is left. */
    private boolean sendTail(int slot) {
        int b = txTail[slot];
        if (b < 0) {
            return true;
        }
        long n = sys.send(fd[slot], tx.address(b) + txTailOff[slot], txTailLen[slot], MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            counters.add(Counter.TX_BYTES, n);
            sentBytes[slot] += n;
            pending[slot] |= P_SENT;
            enqueue(slot);
            txTailOff[slot] += (int) n;
            txTailLen[slot] -= (int) n;
        } else if (n < 0 && n != -Errno.EAGAIN && n != -Errno.EINTR) {
            die(slot, statusOf((int) -n));
        }
        if (txTailLen[slot] == 0 || state[slot] != OPEN) {
            txTail[slot] = -1;
            tx.give(b);
            return true;
        }
        return false;
    }

    private boolean writable(int slot, String call) {
        if (state[slot] == DEAD) {
            return false;
        }
        requireState(slot, OPEN, call);
        return !blockedOnWindow[slot];
    }

    private long afterSend(int slot, long n, long offered) {
        if (n >= 0) {
            if (n > 0) {
                counters.add(Counter.TX_BYTES, n);
                sentBytes[slot] += n;
                pending[slot] |= P_SENT;
                enqueue(slot);
            }
            if (n < offered) {
                waitForWindow(slot);
            }
            return n;
        }
        if (n == -Errno.EAGAIN || n == -Errno.EINTR) {
            waitForWindow(slot);
        } else {
            die(slot, statusOf((int) -n));
        }
        return 0;
    }

    private void waitForWindow(int slot) {
        blockedOnWindow[slot] = true;
        setInterest(slot, (rxParked[slot] ? 0 : READABLE) | EPOLLOUT);
    }

    @Override
    public void recvDone(long handle, long bytes) {
        int slot = handles.slot(handle);
        if (bytes < 0 || bytes > held[slot]) {
            throw new IllegalArgumentException("recvDone(0x" + Long.toHexString(handle) + ", " + bytes
                    + "): only " + held[slot] + " received bytes are held");
        }
        held[slot] -= bytes;
        while (bytes > 0) {
            int c = rxHead[slot];
            int take = (int) Math.min(bytes, rx.length[c] - rx.consumed[c]);
            rx.consumed[c] += take;
            bytes -= take;
            if (rx.consumed[c] == rx.length[c]) {
                rxHead[slot] = rx.next[c];
                if (rxHead[slot] < 0) {
                    rxTail[slot] = -1;
                }
                rx.give(c);
            }
        }
    }

    @Override
    public void close(long handle) {
        int slot = handles.slot(handle);
        if (state[slot] == KNOCKING) {
            counters.increment(Counter.REJECTS);
            closeKnock(slot);
            return;
        }
        if (state[slot] == OPEN || state[slot] == DEAD) {
            counters.add(Counter.OPEN_CONNECTIONS, -1);
        }
        if (fd[slot] >= 0) {
            sys.close(fd[slot]);
        }
        free(slot);
    }

    @Override
    public void abort(long handle) {
        int slot = handles.slot(handle);
        if (state[slot] == OPEN || state[slot] == DEAD) {
            counters.add(Counter.OPEN_CONNECTIONS, -1);
        }
        if (fd[slot] >= 0) {
            resetAndClose(fd[slot]);
        }
        free(slot);
    }

    @Override
    public int udpSend(Object c, MemorySegment data, long offset, int length, Endpoint to, int fromPort) {
        int socket = -1;
        for (int i = 0; i < udpPorts.length; i++) {
            if (udpPorts[i] == fromPort) {
                socket = udpFds[i];
                break;
            }
        }
        if (socket < 0) {
            throw new IllegalArgumentException("not one of the application's UDP ports: " + fromPort);
        }
        Objects.checkFromIndexSize(offset, length, data.byteSize());
        long address;
        if (data.isNative()) {
            address = data.address() + offset;
        } else {
            if (length > scratch.byteSize()) {
                throw new IllegalArgumentException("datagram too large: " + length);
            }
            MemorySegment.copy(data, offset, scratch, 0, length);
            address = scratch.address();
        }
        if (to.family() == Endpoint.IPV4) {
            udpPeer.setIpv4(to.ipv4(), to.port());
        } else {
            udpPeer.set(to.toInetSocketAddress());
        }
        long n = sys.sendto(socket, address, length, MSG_DONTWAIT, udpPeer);
        int result = n == length ? Status.OK : n == -Errno.EAGAIN ? Status.WOULD_BLOCK : Status.ERROR;
        if (result == Status.OK) {
            counters.increment(Counter.UDP_TX);
        } else {
            counters.increment(Counter.UDP_DROPS);
        }
        if (c != null) {
            if (udpSentCount == udpSentCookie.length) {
                throw new IllegalStateException("too many udpSent notifications pending");
            }
            int i = (udpSentHead + udpSentCount++) % udpSentCookie.length;
            udpSentCookie[i] = c;
            udpSentStatus[i] = result;
        }
        return result;
    }

    @Override
    public int readinessFd() {
        return epfd;
    }

    @Override
    public long parkLimitNanos() {
        return pausedListeners > 0 ? LISTENER_PAUSE_NANOS : Long.MAX_VALUE;
    }

    @Override
    public boolean readyToMove() {
        return true; // receive views are slices of a shared pool, usable from any thread
    }

    @Override
    public void moveEnded() {
        // nothing is tied to a thread
    }

    @Override
    public void close() {
        for (int slot = 0; slot < fd.length; slot++) {
            if (fd[slot] >= 0) {
                sys.close(fd[slot]);
                fd[slot] = -1;
            }
        }
        for (int s : listenFds) {
            sys.close(s);
        }
        for (int s : udpFds) {
            sys.close(s);
        }
        sys.close(epfd);
        rx.close();
        tx.close();
        arena.close();
    }

    // ---- slot bookkeeping ----

    private static int slotOf(long handle) {
        return (int) (handle & (HandleTable.MAX_SLOTS - 1));
    }

    private void die(int slot, int reason) {
        if (state[slot] != OPEN) {
            return;
        }
        state[slot] = DEAD;
        status[slot] = reason;
        // Out of epoll: a closed peer would otherwise report HUP on every wait until close.
        sys.epollCtl(epfd, EPOLL_CTL_DEL, fd[slot], 0, 0);
        interest[slot] = 0;
        blockedOnWindow[slot] = false;
        pending[slot] |= P_DEAD;
        enqueue(slot);
        counters.increment(Counter.DEATHS);
    }

    private void closeKnock(int slot) {
        resetAndClose(fd[slot]);
        free(slot);
    }

    private void resetAndClose(int socket) {
        try {
            sys.setLinger(socket, true, 0); // a zero linger makes close() send RST
        } finally {
            sys.close(socket);
        }
    }

    private void free(int slot) {
        int c = rxHead[slot];
        while (c >= 0) {
            int next = rx.next[c];
            rx.give(c);
            c = next;
        }
        rxHead[slot] = rxTail[slot] = -1;
        held[slot] = 0;
        fd[slot] = -1;
        state[slot] = FREE;
        cookie[slot] = null;
        interest[slot] = 0;
        sentBytes[slot] = 0;
        pending[slot] = 0;
        blockedOnWindow[slot] = false;
        rxParked[slot] = false;
        if (txLent[slot] > 0 || txTail[slot] >= 0) {
            tx.giveAll(slot);
            txLent[slot] = 0;
            txTail[slot] = -1;
        }
        handles.release(slot);
    }

    private void enqueue(int slot) {
        if (queued[slot]) {
            return;
        }
        queued[slot] = true;
        readyNext[slot] = -1;
        if (readyTail < 0) {
            readyHead = slot;
        } else {
            readyNext[readyTail] = slot;
        }
        readyTail = slot;
    }

    private void setInterest(int slot, int mask) {
        if (interest[slot] != mask) {
            sys.epollCtl(epfd, EPOLL_CTL_MOD, fd[slot], mask, handles.handle(slot));
            interest[slot] = mask;
        }
    }

    private void parkRx(int slot, long h) {
        rxParked[slot] = true;
        setInterest(slot, blockedOnWindow[slot] ? EPOLLOUT : 0);
        parkedRx[parkedCount++] = h;
    }

    private void resumeParked() {
        int kept = 0;
        for (int i = 0; i < parkedCount; i++) {
            long h = parkedRx[i];
            if (!handles.isLive(h)) {
                continue;
            }
            int slot = slotOf(h);
            if (state[slot] != OPEN || !rxParked[slot]) {
                continue;
            }
            if (held[slot] < rxQuota && rx.available() > 0) {
                rxParked[slot] = false;
                setInterest(slot, READABLE | (blockedOnWindow[slot] ? EPOLLOUT : 0));
            } else {
                parkedRx[kept++] = h;
            }
        }
        parkedCount = kept;
    }

    private void requireState(int slot, byte expected, String call) {
        if (state[slot] != expected) {
            throw new IllegalStateException(call + " on a connection that is " + stateName(state[slot]));
        }
    }

    private static void requireNative(MemorySegment s) {
        if (!s.isNative()) {
            throw new IllegalArgumentException("send needs native (off-heap) memory; copy heap data into a native"
                    + " segment, or use EvConnection.write, which copies");
        }
    }

    private static String stateName(byte s) {
        return switch (s) {
            case KNOCKING -> "waiting for accept";
            case CONNECTING -> "connecting";
            case OPEN -> "open";
            case DEAD -> "dead";
            case FAILED -> "failed";
            default -> "free";
        };
    }

    private static void fill(Endpoint e, SockAddr a) {
        if (a.family() == AF_INET) {
            e.setIpv4(a.ipv4(), a.port());
        } else {
            long hi = a.ipv6High();
            long lo = a.ipv6Low();
            for (int i = 0; i < 8; i++) {
                e.setAddressByte(i, (int) (hi >>> (56 - 8 * i)));
                e.setAddressByte(8 + i, (int) (lo >>> (56 - 8 * i)));
            }
            e.setFamilyAndPort(Endpoint.IPV6, a.port());
        }
    }

    private static int statusOf(int errno) {
        return switch (errno) {
            case Errno.ECONNRESET, Errno.EPIPE, Errno.ECONNABORTED -> Status.RESET;
            case Errno.ECONNREFUSED -> Status.REFUSED;
            case Errno.ETIMEDOUT -> Status.TIMED_OUT;
            case Errno.ENETUNREACH, Errno.EHOSTUNREACH -> Status.UNREACHABLE;
            case Errno.ENOBUFS, Errno.ENOMEM, Errno.EMFILE -> Status.NO_RESOURCES;
            default -> Status.ERROR;
        };
    }
}
