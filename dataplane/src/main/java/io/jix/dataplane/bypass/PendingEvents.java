package io.jix.dataplane.bypass;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Events the stack produced that the current batch had no room for, oldest first. The stack runs
 * a received frame to completion and may raise several events for it (data, an ACK that frees
 * sent bytes, the peer's FIN), so the backend gathers them here and hands the loop at most one
 * batch at a time. Struct-of-arrays; grows (and says so) only if a burst outruns its capacity.
 */
final class PendingEvents {

    private byte[] type;
    private long[] handle;
    private MemorySegment[] data;
    private long[] value;
    private int[] length;
    private int[] aux;
    private int[] ip;
    private int[] port;
    private int[] frame;
    private int head;
    private int size;
    private int grown;

    PendingEvents(int capacity) {
        type = new byte[capacity];
        handle = new long[capacity];
        data = new MemorySegment[capacity];
        value = new long[capacity];
        length = new int[capacity];
        aux = new int[capacity];
        ip = new int[capacity];
        port = new int[capacity];
        frame = new int[capacity];
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Times the queue had to grow (an allocation on the elastic thread). */
    int grown() {
        return grown;
    }

    /** Appends an event; returns its index for the fields the caller sets. */
    int add(byte t, long h) {
        if (size == type.length) {
            grow();
        }
        int i = (head + size++) % type.length;
        type[i] = t;
        handle[i] = h;
        data[i] = null;
        value[i] = 0;
        length[i] = 0;
        aux[i] = 0;
        frame[i] = -1;
        return i;
    }

    void set(int i, MemorySegment d, long v, int len) {
        data[i] = d;
        value[i] = v;
        length[i] = len;
    }

    void setAux(int i, int a) {
        aux[i] = a;
    }

    void setEndpoint(int i, int address, int p) {
        ip[i] = address;
        port[i] = p;
    }

    void setFrame(int i, int laneAndFrame) {
        frame[i] = laneAndFrame;
    }

    /** Index of the oldest event; valid while not empty. */
    int head() {
        return head;
    }

    void removeHead() {
        data[head] = null;
        head = (head + 1) % type.length;
        size--;
    }

    byte type(int i) {
        return type[i];
    }

    long handle(int i) {
        return handle[i];
    }

    MemorySegment data(int i) {
        return data[i];
    }

    long value(int i) {
        return value[i];
    }

    int length(int i) {
        return length[i];
    }

    int aux(int i) {
        return aux[i];
    }

    int ip(int i) {
        return ip[i];
    }

    int port(int i) {
        return port[i];
    }

    int frame(int i) {
        return frame[i];
    }

    private void grow() {
        int n = type.length * 2;
        type = unroll(type, n);
        handle = unroll(handle, n);
        data = unroll(data, n);
        value = unroll(value, n);
        length = unroll(length, n);
        aux = unroll(aux, n);
        ip = unroll(ip, n);
        port = unroll(port, n);
        frame = unroll(frame, n);
        head = 0;
        grown++;
    }

    // Copies the live ring into a larger array starting at index 0.
    private byte[] unroll(byte[] a, int n) {
        byte[] b = new byte[n];
        for (int k = 0; k < size; k++) {
            b[k] = a[(head + k) % a.length];
        }
        return b;
    }

    private long[] unroll(long[] a, int n) {
        long[] b = new long[n];
        for (int k = 0; k < size; k++) {
            b[k] = a[(head + k) % a.length];
        }
        return b;
    }

    private int[] unroll(int[] a, int n) {
        int[] b = new int[n];
        for (int k = 0; k < size; k++) {
            b[k] = a[(head + k) % a.length];
        }
        return b;
    }

    private MemorySegment[] unroll(MemorySegment[] a, int n) {
        MemorySegment[] b = Arrays.copyOf(a, n);
        for (int k = 0; k < size; k++) {
            b[k] = a[(head + k) % a.length];
        }
        for (int k = size; k < n; k++) {
            b[k] = null;
        }
        return b;
    }
}
