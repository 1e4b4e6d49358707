package io.jix.api.ev;

import io.jix.api.Calls;
import io.jix.api.Status;
import java.lang.foreign.MemorySegment;

/**
 * One connection's handler in the {@code ixev} style. Subclass it, implement {@link #onData},
 * and use {@link #write} and {@link #close}. All methods run on the connection's elastic thread.
 *
 * <p>Input: {@link #onData} sees every byte not yet consumed, contiguous, and returns how many it
 * consumed; the rest is offered again, with more appended, at the next delivery. A message that
 * cannot be consumed until more arrives therefore needs no buffering in the application, up to
 * the loop's buffer size; beyond that the connection is reset. While a {@link #write} is short
 * the handler is not offered more input: what arrives meanwhile stays in the dataplane's buffers,
 * unreturned, so the peer's window closes (IX's flow control through {@code recvDone}); it is
 * offered after {@link #onWritable}.
 *
 * <p>Output: {@link #write} copies into a buffer the loop holds until the dataplane reports the
 * bytes sent, so the caller may reuse its memory at once. When the buffer is full it takes fewer
 * bytes and {@link #onWritable} follows once there is room.
 */
public abstract class EvConnection {

    private static final int OPENING = 0;
    private static final int OPEN = 1;
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;

    EvLoop loop;
    long handle;
    private int state = OPENING;

    // Unconsumed input, copied out of dataplane buffers only when a handler leaves bytes behind.
    private MemorySegment input;
    private int inputLength;

    // Views that arrived while the handler was blocked on output: not yet offered, not yet returned.
    private MemorySegment[] heldData;
    private long[] heldOffset;
    private int[] heldLength;
    private int heldHead;
    private int heldCount;

    // Output ring: [head, sent) is with the dataplane, [sent, tail) is waiting for window.
    private MemorySegment output;
    private long outHead;
    private long outSent;
    private long outTail;
    private boolean wantsWritable;

    /** A handler not yet bound to a connection; the loop binds it on accept or connect. */
    protected EvConnection() {
    }

    /**
     * Bytes arrived. {@code data} is read-only and valid only during this call.
     *
     * @return how many bytes, from {@code offset}, were consumed (0 to {@code length})
     */
    protected abstract int onData(MemorySegment data, long offset, int length);

    /** The connection is established (accepted, or an outgoing connect succeeded). */
    protected void onOpen() {
    }

    /** {@link #write} was short earlier and there is room again. */
    protected void onWritable() {
    }

    /**
     * The connection ended other than by {@link #close}: the peer closed or reset it, or an
     * outgoing connect failed. The loop has released it already.
     *
     * @param reason a {@link Status} constant
     */
    protected void onClosed(int reason) {
    }

    /**
     * Copies up to {@code length} bytes from {@code src} (heap or native) for sending.
     *
     * @return the number of bytes taken; fewer than {@code length} when the output buffer is full
     */
    public final int write(MemorySegment src, long offset, int length) {
        if (state != OPEN) {
            throw new IllegalStateException("write on a connection that is " + stateName());
        }
        if (output == null) {
            output = loop.buffers.acquire();
        }
        long capacity = output.byteSize();
        int n = (int) Math.min(length, capacity - (outTail - outHead));
        int done = 0;
        while (done < n) {
            long at = outTail % capacity;
            int piece = (int) Math.min(n - done, capacity - at);
            MemorySegment.copy(src, offset + done, output, at, piece);
            outTail += piece;
            done += piece;
        }
        if (n < length) {
            wantsWritable = true;
        }
        flush();
        return n;
    }

    /**
     * Offers the unconsumed input to {@link #onData} again, without waiting for more to arrive:
     * for a handler that stopped consuming because {@link #write} was short, from
     * {@link #onWritable}.
     */
    protected final void redeliverInput() {
        if (state != OPEN) {
            return;
        }
        if (inputLength > 0) {
            int consumed = consume(input, 0, inputLength);
            if (state == CLOSED) {
                return;
            }
            compactInput(consumed);
        }
        offerHeld();
    }

    /**
     * Asks for {@link #onWritable} once the dataplane reports more output sent, as a short
     * {@link #write} would: for a handler that stops before writing because too little room is
     * left for a reply it cannot take back. Until then no more input is offered. With nothing
     * pending there is room already, and nothing happens.
     */
    protected final void awaitWritable() {
        if (state == OPEN && outTail > outHead) {
            wantsWritable = true;
        }
    }

    /** Bytes written but not yet reported sent by the dataplane. */
    public final long pendingOutput() {
        return outTail - outHead;
    }

    /**
     * Closes the connection once everything written has been sent; no callbacks follow.
     * Closing twice is harmless.
     */
    public final void close() {
        if (state == OPEN || state == OPENING) {
            state = CLOSING;
            if (outHead == outTail) {
                finish();
            }
        }
    }

    /** Whether the connection is open for writing. */
    public final boolean isOpen() {
        return state == OPEN;
    }

    /** The dataplane handle, for calls made directly through {@link Calls}. */
    public final long handle() {
        return handle;
    }

    /** The loop this connection belongs to. */
    public final EvLoop loop() {
        return loop;
    }

    // ---- driven by EvLoop ----

    final void opened() {
        state = OPEN;
        onOpen();
    }

    final void received(MemorySegment data, long offset, int length) {
        Calls calls = loop.calls;
        if (state != OPEN) {
            // Closing: the application has said it is done reading.
            calls.recvDone(handle, length);
            return;
        }
        if (wantsWritable || heldCount > 0) {
            hold(data, offset, length);
            return;
        }
        offer(data, offset, length);
    }

    /** Offers one delivered piece (after any staged input), then returns it to the dataplane. */
    private void offer(MemorySegment data, long offset, int length) {
        Calls calls = loop.calls;
        if (inputLength == 0) {
            int consumed = consume(data, offset, length);
            if (state == CLOSED) {
                return;
            }
            if (consumed < length && state == OPEN) {
                keepInput(data, offset + consumed, length - consumed);
            }
            calls.recvDone(handle, length);
            return;
        }
        keepInput(data, offset, length);
        calls.recvDone(handle, length);
        int consumed = consume(input, 0, inputLength);
        if (state == CLOSED) {
            return;
        }
        compactInput(consumed);
    }

    private void hold(MemorySegment data, long offset, int length) {
        if (heldData == null || heldCount == heldData.length) {
            growHeld();
        }
        int i = (heldHead + heldCount++) % heldData.length;
        heldData[i] = data;
        heldOffset[i] = offset;
        heldLength[i] = length;
    }

    private void growHeld() {
        int n = heldData == null ? 8 : heldData.length * 2;
        MemorySegment[] d = new MemorySegment[n];
        long[] o = new long[n];
        int[] l = new int[n];
        for (int k = 0; k < heldCount; k++) {
            int i = (heldHead + k) % heldData.length;
            d[k] = heldData[i];
            o[k] = heldOffset[i];
            l[k] = heldLength[i];
        }
        heldData = d;
        heldOffset = o;
        heldLength = l;
        heldHead = 0;
    }

    /** Offers the held pieces, oldest first, while the handler is not blocked on output. */
    private void offerHeld() {
        while (heldCount > 0 && state == OPEN && !wantsWritable) {
            int i = heldHead;
            MemorySegment d = heldData[i];
            heldData[i] = null;
            heldHead = (i + 1) % heldData.length;
            heldCount--;
            offer(d, heldOffset[i], heldLength[i]);
        }
    }

    /** Returns the held pieces unread: the connection is ending. */
    private void returnHeld() {
        long bytes = 0;
        while (heldCount > 0) {
            bytes += heldLength[heldHead];
            heldData[heldHead] = null;
            heldHead = (heldHead + 1) % heldData.length;
            heldCount--;
        }
        if (bytes > 0) {
            loop.calls.recvDone(handle, bytes);
        }
    }

    private void compactInput(int consumed) {
        if (consumed > 0) {
            MemorySegment.copy(input, consumed, input, 0, inputLength - consumed);
            inputLength -= consumed;
        }
        if (inputLength == 0 && input != null) {
            loop.buffers.release(input);
            input = null;
        }
    }

    final void sent(long bytes) {
        if (bytes > outSent - outHead) {
            throw new IllegalStateException("dataplane reported " + bytes + " sent but only "
                    + (outSent - outHead) + " were outstanding");
        }
        outHead += bytes;
        if (state == CLOSED) {
            return;
        }
        flush();
        if (outHead == outTail) {
            if (state == CLOSING) {
                finish();
                return;
            }
            releaseOutput();
        }
        if (wantsWritable && state == OPEN) {
            wantsWritable = false;
            onWritable();
            offerHeld(); // in case the handler did not ask for its input again
        }
    }

    final void died(int reason) {
        if (state == CLOSED) {
            return;
        }
        boolean notify = state != CLOSING;
        finish();
        if (notify) {
            onClosed(reason);
        }
    }

    /** Drops buffers without telling the dataplane: it has reset the connection itself. */
    final void abandon() {
        state = CLOSED;
        while (heldCount > 0) {
            heldData[heldHead] = null;
            heldHead = (heldHead + 1) % heldData.length;
            heldCount--;
        }
        releaseBuffers();
    }

    private int consume(MemorySegment data, long offset, int length) {
        int consumed = onData(data, offset, length);
        if (consumed < 0 || consumed > length) {
            throw new IllegalStateException("onData consumed " + consumed + " of " + length + " bytes");
        }
        return consumed;
    }

    private void keepInput(MemorySegment data, long offset, int length) {
        if (input == null) {
            input = loop.buffers.acquire();
        }
        if (inputLength + length > input.byteSize()) {
            throw new IllegalStateException("unconsumed input exceeds " + input.byteSize()
                    + " bytes; raise the loop's buffer size or consume it");
        }
        MemorySegment.copy(data, offset, input, inputLength, length);
        inputLength += length;
    }

    private void flush() {
        long capacity = output == null ? 0 : output.byteSize();
        while (outSent < outTail) {
            long at = outSent % capacity;
            long piece = Math.min(outTail - outSent, capacity - at);
            long taken = loop.calls.send(handle, output, at, piece);
            outSent += taken;
            if (taken < piece) {
                return;
            }
        }
    }

    private void finish() {
        state = CLOSED;
        returnHeld();
        loop.calls.close(handle);
        releaseBuffers();
    }

    private void releaseBuffers() {
        if (input != null) {
            loop.buffers.release(input);
            input = null;
            inputLength = 0;
        }
        releaseOutput();
    }

    private void releaseOutput() {
        if (output != null) {
            loop.buffers.release(output);
            output = null;
        }
        outHead = outSent = outTail = 0;
    }

    private String stateName() {
        return switch (state) {
            case OPENING -> "opening";
            case CLOSING -> "closing";
            case CLOSED -> "closed";
            default -> "open";
        };
    }
}
