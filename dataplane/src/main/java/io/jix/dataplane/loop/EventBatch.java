package io.jix.dataplane.loop;

import io.jix.api.Endpoint;
import java.lang.foreign.MemorySegment;

/**
 * One batch of event conditions, gathered by a backend and then delivered to the application in
 * one pass, as IX's event ring. Struct-of-arrays with a fixed capacity (the adaptive batching
 * cap): adding and reading allocate nothing.
 */
public final class EventBatch {

    /** Incoming connection: handle, endpoint, port. */
    public static final byte KNOCK = 1;
    /** Outgoing connection done: cookie, handle, status. */
    public static final byte CONNECTED = 2;
    /** Bytes received: cookie, handle, data, offset, length. */
    public static final byte RECV = 3;
    /** Bytes released: cookie, handle, value. */
    public static final byte SENT = 4;
    /** Connection over: cookie, handle, status. */
    public static final byte DEAD = 5;
    /** Datagram received: data, offset, length, endpoint, port. */
    public static final byte UDP_RECV = 6;
    /** Datagram buffer released: cookie, status. */
    public static final byte UDP_SENT = 7;
    /** Timer expired: cookie, handle (the timer). */
    public static final byte TIMER = 8;

    private final byte[] type;
    private final long[] handle;
    private final Object[] cookie;
    private final MemorySegment[] data;
    private final long[] value;
    private final int[] length;
    private final int[] aux;
    private final Endpoint[] endpoint;
    private int size;

    /** A batch of at most {@code capacity} events. */
    public EventBatch(int capacity) {
        type = new byte[capacity];
        handle = new long[capacity];
        cookie = new Object[capacity];
        data = new MemorySegment[capacity];
        value = new long[capacity];
        length = new int[capacity];
        aux = new int[capacity];
        endpoint = new Endpoint[capacity];
        for (int i = 0; i < capacity; i++) {
            endpoint[i] = new Endpoint();
        }
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return type.length;
    }

    /** Room left. */
    public int remaining() {
        return type.length - size;
    }

    public boolean isFull() {
        return size == type.length;
    }

    /** Adds a knock; returns the endpoint slot for the backend to fill. */
    public Endpoint addKnock(long h, int localPort) {
        int i = next(KNOCK, h, null);
        aux[i] = localPort;
        return endpoint[i];
    }

    public void addConnected(Object c, long h, int status) {
        aux[next(CONNECTED, h, c)] = status;
    }

    public void addRecv(Object c, long h, MemorySegment segment, long offset, int len) {
        int i = next(RECV, h, c);
        data[i] = segment;
        value[i] = offset;
        length[i] = len;
    }

    public void addSent(Object c, long h, long bytes) {
        value[next(SENT, h, c)] = bytes;
    }

    public void addDead(Object c, long h, int reason) {
        aux[next(DEAD, h, c)] = reason;
    }

    /** Adds a datagram; returns the endpoint slot for the backend to fill with the sender. */
    public Endpoint addUdpRecv(MemorySegment segment, long offset, int len, int localPort) {
        int i = next(UDP_RECV, 0, null);
        data[i] = segment;
        value[i] = offset;
        length[i] = len;
        aux[i] = localPort;
        return endpoint[i];
    }

    public void addUdpSent(Object c, int status) {
        aux[next(UDP_SENT, 0, c)] = status;
    }

    public void addTimer(Object c, long timer) {
        next(TIMER, timer, c);
    }

    /** Sets the cookie of event {@code i}: for a backend whose connection was accepted after its events were gathered. */
    public void setCookie(int i, Object c) {
        cookie[i] = c;
    }

    public byte type(int i) {
        return type[i];
    }

    public long handle(int i) {
        return handle[i];
    }

    public Object cookie(int i) {
        return cookie[i];
    }

    public MemorySegment data(int i) {
        return data[i];
    }

    /** Offset for RECV/UDP_RECV, byte count for SENT. */
    public long value(int i) {
        return value[i];
    }

    public int length(int i) {
        return length[i];
    }

    /** Status for CONNECTED/DEAD/UDP_SENT, local port for KNOCK/UDP_RECV. */
    public int aux(int i) {
        return aux[i];
    }

    public Endpoint endpoint(int i) {
        return endpoint[i];
    }

    /** Empties the batch and drops its references, so cookies and buffers are not kept alive. */
    public void clear() {
        for (int i = 0; i < size; i++) {
            cookie[i] = null;
            data[i] = null;
        }
        size = 0;
    }

    private int next(byte t, long h, Object c) {
        if (size == type.length) {
            throw new IllegalStateException("event batch full (" + size + ")");
        }
        int i = size++;
        type[i] = t;
        handle[i] = h;
        cookie[i] = c;
        return i;
    }
}
