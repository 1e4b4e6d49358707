package io.jix.apps.memcached;

import io.jix.api.ev.EvConnection;
import io.jix.apps.memcached.MemcachedServer.Stat;
import io.jix.apps.memcached.MemcachedServer.Worker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One client connection speaking memcached's text protocol.
 *
 * <p>Parsing works on the bytes ixev offers, in place: a command is consumed only once its line
 * and, for a storage command, its whole data block have arrived (the loop's staging buffer holds
 * a line plus the largest value), so a value split over many segments needs no copy of ours. A
 * data block larger than {@code -I} is refused at once and discarded as it arrives.
 *
 * <p>Output: a reply other than a retrieval's needs at most {@link #RESERVE} bytes; a command is
 * started only with that much room in the output ring, else the connection waits for room
 * ({@link #awaitWritable}). Retrievals write value records as they go; when one does not fit,
 * the rest of it is written after the ring drains, by running the command again from that key,
 * provided the item's CAS unique is unchanged (else the stream could not be continued
 * correctly, and the connection is closed).
 */
final class MemcachedConnection extends EvConnection {

    static final int MAX_TOKENS = 24;
    /** Room in the output ring a command other than a retrieval needs before it starts. */
    static final int RESERVE = 8192;

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private static final byte[] GET = bytes("get"), GETS = bytes("gets"), GAT = bytes("gat"), GATS = bytes("gats"),
            SET = bytes("set"), ADD = bytes("add"), REPLACE = bytes("replace"), APPEND = bytes("append"),
            PREPEND = bytes("prepend"), CAS = bytes("cas"), INCR = bytes("incr"), DECR = bytes("decr"),
            DELETE = bytes("delete"), TOUCH = bytes("touch"), FLUSH_ALL = bytes("flush_all"),
            VERSION = bytes("version"), VERBOSITY = bytes("verbosity"), STATS = bytes("stats"), QUIT = bytes("quit"),
            MN = bytes("mn"), MG = bytes("mg"), MS = bytes("ms"), MD = bytes("md"), MA = bytes("ma"),
            ME = bytes("me"), NOREPLY = bytes("noreply"), RESET = bytes("reset"), ZERO = bytes("0");

    static final MemorySegment R_STORED = text("STORED\r\n"), R_NOT_STORED = text("NOT_STORED\r\n"),
            R_EXISTS = text("EXISTS\r\n"), R_NOT_FOUND = text("NOT_FOUND\r\n"), R_DELETED = text("DELETED\r\n"),
            R_TOUCHED = text("TOUCHED\r\n"), R_END = text("END\r\n"), R_CRLF = text("\r\n"), R_OK = text("OK\r\n"),
            R_ERROR = text("ERROR\r\n"), R_MN = text("MN\r\n"), R_RESET = text("RESET\r\n"),
            R_VERSION = text("VERSION " + MemcachedServer.VERSION + "\r\n"),
            R_BAD_FORMAT = text("CLIENT_ERROR bad command line format\r\n"),
            R_BAD_CHUNK = text("CLIENT_ERROR bad data chunk\r\n"),
            R_BAD_DELTA = text("CLIENT_ERROR invalid numeric delta argument\r\n"),
            R_BAD_EXPTIME = text("CLIENT_ERROR invalid exptime argument\r\n"),
            R_NON_NUMERIC = text("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"),
            R_DELETE_USAGE = text("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"),
            R_LINE_TOO_LONG = text("CLIENT_ERROR line too long\r\n"),
            R_TOO_LARGE = text("SERVER_ERROR object too large for cache\r\n"),
            R_NO_MEMORY = text("SERVER_ERROR out of memory storing object\r\n"),
            R_NO_MEMORY_ARITH = text("SERVER_ERROR out of memory\r\n"),
            R_TOO_MANY = text("ERROR Too many open connections\r\n"),
            R_BINARY = text("CLIENT_ERROR binary protocol not supported; use the text protocol\r\n"),
            R_EN = text("EN\r\n"),
            R_BAD_MODE = text("CLIENT_ERROR invalid mode for ms M token\r\n"),
            R_BAD_MODE_MA = text("CLIENT_ERROR invalid mode for ma M token\r\n");

    /**
     * A storage command (line and data block) up to this size waits whole in the staging buffer;
     * a larger one's value is copied into its reserved item as it arrives ({@link #stream}).
     */
    static final int SMALL_COMMAND = 16 * 1024;
    /** A retrieval line without its end yet is served in parts once this long (see {@link #partialRetrieval}). */
    static final int PARTIAL_LINE = 16 * 1024;

    /** The first byte of every binary-protocol request. */
    private static final byte BINARY_MAGIC = (byte) 0x80;
    private static final int GET_KIND = 1, GETS_KIND = 2, GAT_KIND = 3, GATS_KIND = 4;

    private final Worker w;
    private final MemcachedStore store;
    private final int bufferSize;
    private boolean counted;
    /** Bytes of a refused data block still to be discarded. */
    private long swallow;
    /** The rest of a refused line is discarded up to its end. */
    private boolean skipLine;
    /** A retrieval interrupted by a full output ring: where its key starts, or -1. */
    private int resumeAt = -1;
    private long resumeSent;
    private long resumeCas;
    /** Value bytes of the interrupted record already sent: where the next copy out of the store starts. */
    private int resumeValueFrom;
    /** The length of an interrupted mg's reply line, sent whole before its value. */
    private int resumeHeader;
    /** A retrieval whose keys so far are served, its line not ended yet: its kind, or 0. */
    private int continued;
    private long continuedDeadline;

    // A value arriving in pieces, copied into its reserved item as they come.
    private long pending = -1;
    private int pendingLength;
    private int pendingFilled;
    private int pendingEnd;
    private boolean pendingBadEnd;
    private int pendingMode;
    private int pendingFlags;
    private long pendingDeadline;
    private long pendingCas;
    private int pendingOptions;
    private boolean pendingNoreply;
    /** An ms command's line, kept for the return flags of its reply; made when first needed. */
    private MemorySegment pendingLine;
    private int pendingLineLength;

    MemcachedConnection(Worker worker) {
        this.w = worker;
        this.store = worker.store;
        this.bufferSize = worker.shared.config.bufferSize();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static MemorySegment text(String s) {
        return MemorySegment.ofArray(bytes(s));
    }

    @Override
    protected void onOpen() {
        counted = true;
        w.shared.totalConnections.incrementAndGet();
        if (w.shared.connections.incrementAndGet() > w.shared.config.maxConnections()) {
            w.stats[Stat.rejected_connections.ordinal()]++;
            reply(R_TOO_MANY);
            end();
        }
    }

    @Override
    protected void onClosed(int reason) {
        uncount();
        abandonPending();
    }

    @Override
    protected void onWritable() {
        redeliverInput();
    }

    private void uncount() {
        if (counted) {
            counted = false;
            w.shared.connections.decrementAndGet();
        }
    }

    private void end() {
        uncount();
        abandonPending();
        close();
    }

    private void abandonPending() {
        if (pending >= 0) {
            store.abandon(pending);
            pending = -1;
        }
    }

    @Override
    protected int onData(MemorySegment d, long offset, int length) {
        try {
            int pos = parse(d, offset, length);
            w.stats[Stat.bytes_read.ordinal()] += pos;
            return isOpen() ? pos : length;
        } catch (RuntimeException | Error e) {
            abandonPending(); // the loop resets the connection without telling us
            throw e;
        }
    }

    private int parse(MemorySegment d, long offset, int length) {
        int pos = 0;
        while (pos < length && isOpen()) {
            int avail = length - pos;
            long start = offset + pos;
            if (swallow > 0) {
                int n = (int) Math.min(swallow, avail);
                swallow -= n;
                pos += n;
                continue;
            }
            if (pending >= 0) {
                pos += continueValue(d, start, avail);
                continue;
            }
            if (continued == 0 && !skipLine && d.get(BYTE, start) == BINARY_MAGIC) {
                // A binary-protocol request: said in text for a person at nc, and closed, so a
                // binary client fails at once instead of waiting for a reply.
                reply(R_BINARY);
                end();
                return length;
            }
            int newline = indexOfNewline(d, start, avail);
            if (skipLine) {
                skipLine = newline < 0;
                pos += newline < 0 ? avail : newline + 1;
                continue;
            }
            if (resumeAt < 0 && bufferSize - pendingOutput() < RESERVE) {
                awaitWritable();
                break;
            }
            int used;
            if (newline >= 0) {
                used = command(d, start, newline, avail);
            } else if (continued != 0 || isRetrieval(d, start, avail)) {
                used = avail < PARTIAL_LINE ? 0 : partialRetrieval(d, start, avail);
            } else if (avail > MemcachedServer.Config.MAX_LINE) {
                reply(R_LINE_TOO_LONG);
                end();
                return length;
            } else {
                used = 0;
            }
            if (used == 0) {
                break;
            }
            pos += used;
        }
        return pos;
    }

    private static int indexOfNewline(MemorySegment d, long start, int avail) {
        for (int i = 0; i < avail; i++) {
            if (d.get(BYTE, start + i) == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static boolean isRetrieval(MemorySegment d, long start, int avail) {
        int end = wordEnd(d, start, avail);
        return end < avail && retrievalKind(d, start, end) != 0;
    }

    private static int wordEnd(MemorySegment d, long start, int length) {
        int end = 0;
        while (end < length && d.get(BYTE, start + end) != ' ') {
            end++;
        }
        return end;
    }

    private static int retrievalKind(MemorySegment d, long start, int wordLength) {
        if (equalsWord(d, start, wordLength, GET)) {
            return GET_KIND;
        } else if (equalsWord(d, start, wordLength, GETS)) {
            return GETS_KIND;
        } else if (equalsWord(d, start, wordLength, GAT)) {
            return GAT_KIND;
        } else if (equalsWord(d, start, wordLength, GATS)) {
            return GATS_KIND;
        }
        return 0;
    }

    private static boolean equalsWord(MemorySegment d, long at, int length, byte[] word) {
        if (length != word.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (d.get(BYTE, at + i) != word[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean token(MemorySegment d, int i, byte[] word) {
        return equalsWord(d, w.tokenAt[i], w.tokenLength[i], word);
    }

    /** Splits the line on spaces; returns the token count, or MAX_TOKENS + 1 if there are more. */
    private int tokenize(MemorySegment d, long start, int length) {
        int n = 0;
        int i = 0;
        while (i < length) {
            while (i < length && d.get(BYTE, start + i) == ' ') {
                i++;
            }
            if (i == length) {
                break;
            }
            int from = i;
            while (i < length && d.get(BYTE, start + i) != ' ') {
                i++;
            }
            if (n == MAX_TOKENS) {
                return MAX_TOKENS + 1;
            }
            w.tokenAt[n] = start + from;
            w.tokenLength[n] = i - from;
            n++;
        }
        return n;
    }

    /**
     * Runs the command whose line ends at {@code newline} (relative to {@code start}).
     *
     * @return the bytes consumed, or 0 to wait for more input or for output room
     */
    private int command(MemorySegment d, long start, int newline, int avail) {
        int lineLength = newline > 0 && d.get(BYTE, start + newline - 1) == '\r' ? newline - 1 : newline;
        int consumed = newline + 1;
        if (continued != 0) {
            return retrieve(d, start, 0, lineLength, consumed, continued, true);
        }
        // Retrievals may have any number of keys: they scan the line themselves.
        int wordEnd = wordEnd(d, start, lineLength);
        int kind = retrievalKind(d, start, wordEnd);
        if (kind != 0) {
            return retrieve(d, start, wordEnd, lineLength, consumed, kind, true);
        }
        int n = tokenize(d, start, lineLength);
        if (n == 0 || n > MAX_TOKENS) {
            reply(R_ERROR);
            return consumed;
        }
        boolean noreply = token(d, n - 1, NOREPLY);
        int args = noreply ? n - 1 : n; // tokens before noreply
        if (token(d, 0, SET)) {
            return storage(d, start, consumed, avail, MemcachedStore.SET, args, n, noreply);
        } else if (token(d, 0, ADD)) {
            return storage(d, start, consumed, avail, MemcachedStore.ADD, args, n, noreply);
        } else if (token(d, 0, REPLACE)) {
            return storage(d, start, consumed, avail, MemcachedStore.REPLACE, args, n, noreply);
        } else if (token(d, 0, APPEND)) {
            return storage(d, start, consumed, avail, MemcachedStore.APPEND, args, n, noreply);
        } else if (token(d, 0, PREPEND)) {
            return storage(d, start, consumed, avail, MemcachedStore.PREPEND, args, n, noreply);
        } else if (token(d, 0, CAS)) {
            return storage(d, start, consumed, avail, MemcachedStore.CAS, args, n, noreply);
        } else if (token(d, 0, INCR)) {
            arithmetic(d, args, noreply, true);
        } else if (token(d, 0, DECR)) {
            arithmetic(d, args, noreply, false);
        } else if (token(d, 0, DELETE)) {
            delete(d, n, args, noreply);
        } else if (token(d, 0, TOUCH)) {
            touch(d, args, noreply);
        } else if (token(d, 0, FLUSH_ALL)) {
            flushAll(d, args, noreply);
        } else if (token(d, 0, VERSION)) {
            reply(R_VERSION); // arguments are ignored, as memcached does
        } else if (token(d, 0, VERBOSITY)) {
            if (!noreply) {
                reply(args == 2 ? R_OK : R_ERROR); // the level is accepted and has no effect
            }
        } else if (token(d, 0, STATS)) {
            stats(d, n);
        } else if (token(d, 0, QUIT)) {
            end();
        } else if (token(d, 0, MN)) {
            reply(R_MN);
        } else if (n >= 2 && w.tokenLength[1] > MemcachedStore.MAX_KEY && (token(d, 0, MG) || token(d, 0, MS)
                || token(d, 0, MD) || token(d, 0, MA) || token(d, 0, ME))) {
            reply(R_BAD_FORMAT);
        } else if (token(d, 0, MG) && n >= 2) {
            return metaGet(d, n, consumed);
        } else if (token(d, 0, MS) && n >= 2) {
            return metaSet(d, start, n, consumed, avail);
        } else if (token(d, 0, MD) && n >= 2) {
            metaDelete(d, n);
        } else if (token(d, 0, MA) && n >= 2) {
            metaArithmetic(d, n);
        } else if (token(d, 0, ME) && n >= 2) {
            metaDebug(d, n);
        } else {
            reply(R_ERROR);
        }
        return consumed;
    }

    // ---- retrieval ----

    /**
     * A retrieval line longer than {@link #PARTIAL_LINE} whose end has not arrived: the keys
     * before its last space are served now and consumed, so a multi-get of any number of keys
     * needs no more than a staging buffer (memcached grows its read buffer instead).
     */
    private int partialRetrieval(MemorySegment d, long start, int avail) {
        int lastSpace = avail - 1;
        while (lastSpace >= 0 && d.get(BYTE, start + lastSpace) != ' ') {
            lastSpace--;
        }
        int from = 0;
        int kind = continued;
        if (kind == 0) {
            from = wordEnd(d, start, avail);
            kind = retrievalKind(d, start, from);
        }
        if (avail - 1 - lastSpace > MemcachedStore.MAX_KEY || lastSpace <= from) {
            // A key longer than any allowed is arriving, or no key yet in all these bytes.
            resumeAt = -1;
            continued = 0;
            reply(R_BAD_FORMAT);
            skipLine = true;
            return avail;
        }
        return retrieve(d, start, from, lastSpace, lastSpace + 1, kind, false);
    }

    /**
     * Serves the keys of a retrieval line: from {@code from} (just after the command word, or 0 for
     * the rest of a line begun earlier) to {@code lineLength}. With {@code last}, the line ends
     * there and END follows.
     *
     * @return {@code consumed}, or 0 when the output ring filled (the same bytes come again after
     *     {@link #onWritable}, and serving resumes where it stopped)
     */
    private int retrieve(MemorySegment d, long start, int from, int lineLength, int consumed, int kind, boolean last) {
        boolean withCas = kind == GETS_KIND || kind == GATS_KIND;
        boolean touch = kind == GAT_KIND || kind == GATS_KIND;
        boolean continuing = continued != 0;
        int p = from;
        long deadline = continuedDeadline;
        if (touch && !continuing) {
            while (p < lineLength && d.get(BYTE, start + p) == ' ') {
                p++;
            }
            int t = p;
            while (p < lineLength && d.get(BYTE, start + p) != ' ') {
                p++;
            }
            if (t == p) {
                reply(R_ERROR);
                return consumed;
            }
            if (!Numbers.okSigned(d, start + t, p - t)) {
                reply(R_BAD_EXPTIME);
                skipLine = !last;
                return consumed;
            }
            deadline = store.deadline(Numbers.parseSigned(d, start + t, p - t));
        }
        int firstKey = p;
        while (firstKey < lineLength && d.get(BYTE, start + firstKey) == ' ') {
            firstKey++;
        }
        if (firstKey == lineLength && !continuing && last) {
            reply(touch ? R_END : R_ERROR); // memcached's answers to "gat 0" and "get"
            return consumed;
        }
        if (resumeAt > lineLength) {
            return finishRetrieval(consumed, resumeSent);
        }
        p = resumeAt >= 0 ? resumeAt : firstKey;
        while (p < lineLength) {
            int k = p;
            while (p < lineLength && d.get(BYTE, start + p) != ' ') {
                p++;
            }
            int keyLength = p - k;
            while (p < lineLength && d.get(BYTE, start + p) == ' ') {
                p++;
            }
            if (keyLength == 0) {
                continue;
            }
            if (keyLength > MemcachedStore.MAX_KEY) {
                resumeAt = -1;
                continued = 0;
                skipLine = !last;
                reply(R_BAD_FORMAT);
                return consumed;
            }
            boolean resuming = resumeAt == k;
            int valueFrom = resuming ? resumeValueFrom : 0;
            int window = room();
            int status = store.get(d, start + k, keyLength, touch, deadline, w.value, valueFrom, window, w.found);
            if (!resuming) {
                count(touch ? Stat.cmd_touch : Stat.cmd_get);
                if (touch) {
                    count(status == MemcachedStore.HIT ? Stat.touch_hits : Stat.touch_misses);
                }
                count(status == MemcachedStore.HIT ? Stat.get_hits : Stat.get_misses);
            }
            long skip = 0;
            if (resuming) {
                if (status != MemcachedStore.HIT || w.found.cas != resumeCas) {
                    // Half a value is out already and the item has changed: nothing correct can follow.
                    resumeAt = -1;
                    continued = 0;
                    end();
                    return consumed;
                }
                skip = resumeSent;
            }
            resumeAt = -1;
            if (status != MemcachedStore.HIT) {
                continue;
            }
            int header = valueHeader(d, start + k, keyLength, withCas);
            if (!emitRecord(header, valueFrom, window, skip)) {
                resumeAt = k;
                return 0;
            }
        }
        if (!last) {
            continued = kind;
            continuedDeadline = deadline;
            return consumed;
        }
        continued = 0;
        return finishRetrieval(consumed, 0);
    }

    /** Free room in the output ring: the most of a value worth copying out of the store now. */
    private int room() {
        return (int) (bufferSize - pendingOutput());
    }

    private int finishRetrieval(int consumed, long skip) {
        long sent = emit(R_END, 5, skip);
        if (sent < 5) {
            resumeAt = Integer.MAX_VALUE;
            resumeSent = sent;
            return 0;
        }
        resumeAt = -1;
        return consumed;
    }

    /** Writes {@code a[skip, aLength)}; returns skip plus what was taken. */
    private long emit(MemorySegment a, int aLength, long skip) {
        if (skip >= aLength) {
            return skip;
        }
        int want = (int) (aLength - skip);
        int n = write(a, skip, want);
        w.stats[Stat.bytes_written.ordinal()] += n;
        return skip + n;
    }

    /**
     * Writes a value record: the {@code header} bytes in the worker's line buffer, the value
     * ({@code w.found.length} bytes, of which {@code [valueFrom, valueFrom + window)} are in the
     * worker's value buffer: as much as the output ring had room for), CRLF; the first
     * {@code skip} bytes were sent before.
     *
     * @return true when the record is all out; false when the ring filled, with where to resume
     *     in {@link #resumeSent}, {@link #resumeValueFrom} and {@link #resumeCas}
     */
    private boolean emitRecord(int header, int valueFrom, int window, long skip) {
        int length = w.found.length;
        long valueEnd = header + (long) length;
        long done = emit(w.line, header, skip);
        if (done >= header && done < valueEnd) {
            int at = (int) (done - header) - valueFrom;
            int available = Math.min(length - valueFrom, window) - at;
            if (at >= 0 && available > 0) {
                int n = write(w.value, at, available);
                w.stats[Stat.bytes_written.ordinal()] += n;
                done += n;
            }
        }
        if (done >= valueEnd) {
            done = valueEnd + emit(R_CRLF, 2, done - valueEnd);
        }
        if (done == valueEnd + 2) {
            return true;
        }
        resumeSent = done;
        resumeValueFrom = (int) Math.max(0, done - header);
        resumeCas = w.found.cas;
        awaitWritable(); // the window may have ended just as the ring filled, with no short write
        return false;
    }

    /** Builds {@code VALUE key flags bytes [cas]\r\n} in the worker's line buffer; returns its length. */
    private int valueHeader(MemorySegment d, long key, int keyLength, boolean withCas) {
        MemorySegment l = w.line;
        int at = MetaFlags.put(l, 0, "VALUE ");
        MemorySegment.copy(d, key, l, at, keyLength);
        at += keyLength;
        l.set(BYTE, at++, (byte) ' ');
        at += Numbers.format(w.found.flags & 0xffffffffL, l, at);
        l.set(BYTE, at++, (byte) ' ');
        at += Numbers.format(w.found.length, l, at);
        if (withCas) {
            l.set(BYTE, at++, (byte) ' ');
            at += Numbers.format(w.found.cas, l, at);
        }
        l.set(BYTE, at++, (byte) '\r');
        l.set(BYTE, at++, (byte) '\n');
        return at;
    }

    // ---- storage ----

    private int storage(MemorySegment d, long start, int consumed, int avail, int mode, int args, int n,
                        boolean noreply) {
        boolean cas = mode == MemcachedStore.CAS;
        if (args != (cas ? 6 : 5) || n > args + 1) {
            reply(R_ERROR);
            return consumed;
        }
        int keyLength = w.tokenLength[1];
        if (keyLength > MemcachedStore.MAX_KEY
                || !Numbers.ok(d, w.tokenAt[2], w.tokenLength[2])
                || !Numbers.okSigned(d, w.tokenAt[3], w.tokenLength[3])
                || !Numbers.ok(d, w.tokenAt[4], w.tokenLength[4])
                || (cas && !Numbers.ok(d, w.tokenAt[5], w.tokenLength[5]))) {
            reply(R_BAD_FORMAT);
            return consumed;
        }
        long flags = Numbers.parseUnsigned(d, w.tokenAt[2], w.tokenLength[2]);
        long bytes = Numbers.parseUnsigned(d, w.tokenAt[4], w.tokenLength[4]);
        if (flags > 0xffffffffL || bytes < 0 || bytes > Integer.MAX_VALUE - 2) {
            reply(R_BAD_FORMAT);
            return consumed;
        }
        long key = w.tokenAt[1];
        if (bytes > store.itemLimit()) {
            count(Stat.cmd_set);
            reply(R_TOO_LARGE);
            if (mode == MemcachedStore.SET) {
                store.delete(d, key, keyLength); // memcached's rule: a failed set leaves no stale value
            }
            swallow = bytes + 2;
            return consumed;
        }
        long deadline = store.deadline(Numbers.parseSigned(d, w.tokenAt[3], w.tokenLength[3]));
        long unique = cas ? Numbers.parseUnsigned(d, w.tokenAt[5], w.tokenLength[5]) : 0;
        int need = dataBlock(d, start, consumed, bytes, avail);
        if (need == 0 && consumed + bytes + 2 > SMALL_COMMAND) {
            pendingLineLength = -1;
            return stream(d, start, consumed, avail, d, key, keyLength, (int) bytes, mode, (int) flags, deadline, unique,
                    0, noreply);
        }
        if (need <= 0) {
            return -need; // 0: a small block, waited for whole; otherwise a bad chunk, answered
        }
        int status = store.store(mode, d, key, keyLength, (int) flags, deadline, d, start + consumed, (int) bytes,
                unique);
        storageReply(status, mode, noreply);
        return need;
    }

    private void storageReply(int status, int mode, boolean noreply) {
        if (mode == MemcachedStore.CAS) {
            count(status == MemcachedStore.STORED ? Stat.cas_hits
                    : status == MemcachedStore.EXISTS ? Stat.cas_badval : Stat.cas_misses);
        }
        switch (status) {
            case MemcachedStore.STORED -> answer(R_STORED, noreply);
            case MemcachedStore.NOT_STORED -> answer(R_NOT_STORED, noreply);
            case MemcachedStore.EXISTS -> answer(R_EXISTS, noreply);
            case MemcachedStore.NOT_FOUND -> answer(R_NOT_FOUND, noreply);
            case MemcachedStore.TOO_LARGE -> reply(R_TOO_LARGE);
            default -> reply(R_NO_MEMORY);
        }
    }

    // ---- values that arrive in pieces ----

    /**
     * Begins a value whose data block has not all arrived: reserves its item in the store and
     * copies in what is here; the rest is copied as it comes ({@link #continueValue}), so the
     * connection holds no buffer for it. Without memory for it the answer is memcached's, and
     * the block is discarded as it arrives.
     *
     * @return the bytes consumed: the line and the data so far
     */
    private int stream(MemorySegment d, long start, int consumed, int avail, MemorySegment keySegment, long key,
                       int keyLength, int bytes, int mode, int flags, long deadline, long unique, int options,
                       boolean noreply) {
        long reservation = store.reserve(keySegment, key, keyLength, bytes);
        if (reservation < 0) {
            count(Stat.cmd_set);
            reply(R_NO_MEMORY);
            if (mode == MemcachedStore.SET) {
                store.delete(keySegment, key, keyLength); // as for any failed set: no stale value stays
            }
            swallow = bytes + 2L;
            return consumed;
        }
        pending = reservation;
        pendingLength = bytes;
        pendingFilled = 0;
        pendingEnd = 0;
        pendingBadEnd = false;
        pendingMode = mode;
        pendingFlags = flags;
        pendingDeadline = deadline;
        pendingCas = unique;
        pendingOptions = options;
        pendingNoreply = noreply;
        return consumed + continueValue(d, start + consumed, avail - consumed);
    }

    /** Copies arriving value bytes into the reserved item, then checks its CRLF and stores it. */
    private int continueValue(MemorySegment d, long at, int avail) {
        int n = Math.min(avail, pendingLength - pendingFilled);
        if (n > 0) {
            store.write(pending, pendingFilled, d, at, n);
            pendingFilled += n;
        }
        while (pendingFilled == pendingLength && pendingEnd < 2 && n < avail) {
            if (d.get(BYTE, at + n++) != (pendingEnd == 0 ? '\r' : '\n')) {
                pendingBadEnd = true;
            }
            pendingEnd++;
        }
        if (pendingEnd == 2) {
            long reservation = pending;
            pending = -1;
            if (pendingBadEnd) {
                store.abandon(reservation);
                reply(R_BAD_CHUNK);
            } else {
                count(Stat.cmd_set);
                int status = store.commit(pendingMode, reservation, pendingFlags, pendingDeadline, pendingCas,
                        pendingOptions, w.found);
                if (pendingLineLength < 0) {
                    storageReply(status, pendingMode, pendingNoreply);
                } else {
                    // The ms line's tokens again, for its reply's return flags.
                    int tokens = tokenize(pendingLine, 0, pendingLineLength);
                    w.meta.parse(pendingLine, w.tokenAt, w.tokenLength, 3, tokens, false);
                    metaSetReply(status);
                }
            }
        }
        return n;
    }

    // ---- meta commands ----

    // Which return flags each reply carries (memcached 1.6's choice): a miss only k and O.
    private static final long MG_HIT = MetaFlags.returning("cfstkOhl"), KEY_AND_OPAQUE = MetaFlags.returning("kO"),
            MS_ANY = MetaFlags.returning("kcO"), MA_HIT = MetaFlags.returning("ctkO");

    /** Starts a meta reply line in the worker's line buffer: {@code code}, then the return flags in {@code which}. */
    private int metaLine(String code, long which, boolean binaryKey) {
        int at = MetaFlags.put(w.line, 0, code);
        return w.meta.returnFlags(w.line, at, which, w.found, binaryKey, w.shared.clock.getAsLong());
    }

    private int endLine(int at) {
        w.line.set(BYTE, at++, (byte) '\r');
        w.line.set(BYTE, at++, (byte) '\n');
        return at;
    }

    private int metaGet(MemorySegment d, int n, int consumed) {
        MetaFlags f = w.meta;
        MemorySegment error = f.parse(d, w.tokenAt, w.tokenLength, 2, n, false);
        if (error != null) {
            resumeAt = -1;
            reply(error);
            return consumed;
        }
        boolean resuming = resumeAt >= 0;
        int options;
        if (resuming) {
            options = MemcachedStore.NO_BUMP; // the first pass did what the flags ask
        } else {
            options = (f.hasTtl ? MemcachedStore.TOUCH : 0) | (f.noBump ? MemcachedStore.NO_BUMP : 0)
                    | (f.hasVivify ? MemcachedStore.VIVIFY : 0) | (f.hasRecache ? MemcachedStore.RECACHE : 0)
                    | (f.base64 ? MemcachedStore.BINARY_KEY : 0);
        }
        int valueFrom = resuming ? resumeValueFrom : 0;
        int window = room();
        int status = store.get(f.keySegment, f.keyOffset, f.keyLength, options, f.hasTtl ? store.deadline(f.ttl) : 0,
                f.hasVivify ? store.deadline(f.vivify) : 0, f.hasRecache ? store.deadline(f.recache) : 0, w.value,
                valueFrom, window, w.found);
        if (resuming) {
            resumeAt = -1;
            if (status != MemcachedStore.HIT || w.found.cas != resumeCas) {
                end();
                return consumed;
            }
            // The line went out whole in the first pass (it started with RESERVE bytes of room).
            return emitRecord(resumeHeader, valueFrom, window, resumeSent) ? consumed : suspendMetaGet();
        }
        count(f.hasTtl ? Stat.cmd_touch : Stat.cmd_get);
        count(status == MemcachedStore.HIT ? Stat.get_hits : Stat.get_misses);
        if (status != MemcachedStore.HIT) {
            if (!f.quiet) {
                reply(w.line, endLine(metaLine("EN", KEY_AND_OPAQUE, f.base64)));
            }
            return consumed;
        }
        int at;
        if (f.value) {
            at = MetaFlags.put(w.line, 0, "VA ");
            at += Numbers.format(w.found.length, w.line, at);
            at = f.returnFlags(w.line, at, MG_HIT, w.found, w.found.binaryKey, w.shared.clock.getAsLong());
        } else {
            at = metaLine("HD", MG_HIT, w.found.binaryKey);
        }
        // memcached's order: Z (a token went out before), X (stale), W (this one wins).
        at = MetaFlags.put(w.line, at, w.found.tokenSent ? " Z" : "");
        at = MetaFlags.put(w.line, at, w.found.stale ? " X" : "");
        at = endLine(MetaFlags.put(w.line, at, w.found.won ? " W" : ""));
        if (!f.value) {
            reply(w.line, at);
            return consumed;
        }
        resumeHeader = at;
        return emitRecord(at, 0, window, 0) ? consumed : suspendMetaGet();
    }

    private int suspendMetaGet() {
        resumeAt = 0;
        return 0;
    }

    /** ms's storage mode from its M flag, or -1 for a mode it does not have. */
    private static int metaSetMode(MetaFlags f) {
        return switch (f.mode) {
            case 0, 'S', 's' -> f.hasCas ? MemcachedStore.CAS : MemcachedStore.SET;
            case 'E', 'e' -> MemcachedStore.ADD;
            case 'A', 'a' -> MemcachedStore.APPEND;
            case 'P', 'p' -> MemcachedStore.PREPEND;
            case 'R', 'r' -> MemcachedStore.REPLACE;
            default -> -1;
        };
    }

    private int metaSet(MemorySegment d, long start, int n, int consumed, int avail) {
        if (n < 3 || !Numbers.ok(d, w.tokenAt[2], w.tokenLength[2])
                || Numbers.parseUnsigned(d, w.tokenAt[2], w.tokenLength[2]) > Integer.MAX_VALUE - 2) {
            reply(R_BAD_FORMAT);
            return consumed;
        }
        long bytes = Numbers.parseUnsigned(d, w.tokenAt[2], w.tokenLength[2]);
        MetaFlags f = w.meta;
        MemorySegment error = f.parse(d, w.tokenAt, w.tokenLength, 3, n, false);
        int mode = metaSetMode(f);
        if (error == null && mode < 0) {
            error = R_BAD_MODE;
        }
        if (error == null && bytes > store.itemLimit()) {
            error = R_TOO_LARGE;
        }
        if (error != null) {
            reply(error);
            swallow = bytes + 2; // the data block follows regardless
            return consumed;
        }
        long deadline = f.hasTtl ? store.deadline(f.ttl) : 0;
        int options = (f.base64 ? MemcachedStore.BINARY_KEY : 0) | (f.invalidate ? MemcachedStore.INVALIDATE : 0);
        int need = dataBlock(d, start, consumed, bytes, avail);
        if (need == 0 && consumed + bytes + 2 > SMALL_COMMAND) {
            int lineLength = consumed - 1 - (d.get(BYTE, start + consumed - 2) == '\r' ? 1 : 0);
            if (pendingLine == null || pendingLine.byteSize() < lineLength) {
                pendingLine = MemorySegment.ofArray(new byte[Math.max(MemcachedServer.Config.MAX_LINE, lineLength)]);
            }
            MemorySegment.copy(d, start, pendingLine, 0, lineLength);
            pendingLineLength = lineLength;
            return stream(d, start, consumed, avail, f.keySegment, f.keyOffset, f.keyLength, (int) bytes, mode,
                    (int) f.clientFlags, deadline, f.cas, options, false);
        }
        if (need <= 0) {
            return -need; // 0: a small block, waited for whole; otherwise a bad chunk, answered
        }
        int status = store.store(mode, f.keySegment, f.keyOffset, f.keyLength, (int) f.clientFlags, deadline, d,
                start + consumed, (int) bytes, f.cas, options, w.found);
        metaSetReply(status);
        return need;
    }

    /** The reply to the ms command whose flags the worker's {@link MetaFlags} hold. */
    private void metaSetReply(int status) {
        String code;
        switch (status) {
            case MemcachedStore.STORED -> code = "HD";
            case MemcachedStore.NOT_STORED -> code = "NS";
            case MemcachedStore.EXISTS -> code = "EX";
            case MemcachedStore.NOT_FOUND -> code = "NF";
            case MemcachedStore.TOO_LARGE -> {
                reply(R_TOO_LARGE);
                return;
            }
            default -> {
                reply(R_NO_MEMORY);
                return;
            }
        }
        if (status != MemcachedStore.STORED) {
            w.found.cas = 0; // memcached's c on a refusal
        }
        if (status != MemcachedStore.STORED || !w.meta.quiet) {
            reply(w.line, endLine(metaLine(code, MS_ANY, w.meta.base64)));
        }
    }

    private void metaDelete(MemorySegment d, int n) {
        MetaFlags f = w.meta;
        MemorySegment error = f.parse(d, w.tokenAt, w.tokenLength, 2, n, true);
        if (error != null) {
            reply(error);
            return;
        }
        long cas = f.hasCas ? f.cas : 0;
        int status = f.invalidate
                ? store.invalidate(f.keySegment, f.keyOffset, f.keyLength, cas, f.hasTtl, store.deadline(f.ttl))
                : store.delete(f.keySegment, f.keyOffset, f.keyLength, cas);
        count(status == MemcachedStore.DELETED ? Stat.delete_hits : Stat.delete_misses);
        String code = status == MemcachedStore.DELETED ? "HD" : status == MemcachedStore.EXISTS ? "EX" : "NF";
        if (status != MemcachedStore.DELETED || !f.quiet) {
            reply(w.line, endLine(metaLine(code, KEY_AND_OPAQUE, f.base64)));
        }
    }

    private void metaArithmetic(MemorySegment d, int n) {
        MetaFlags f = w.meta;
        MemorySegment error = f.parse(d, w.tokenAt, w.tokenLength, 2, n, true);
        boolean increment = true;
        if (error == null) {
            switch (f.mode) {
                case 0, 'I', 'i', '+' -> increment = true;
                case 'D', 'd', '-' -> increment = false;
                default -> error = R_BAD_MODE_MA;
            }
        }
        if (error != null) {
            reply(error);
            return;
        }
        MemorySegment key = f.keySegment;
        long keyOffset = f.keyOffset;
        int keyLength = f.keyLength;
        long cas = f.hasCas ? f.cas : 0;
        int status = store.arithmetic(key, keyOffset, keyLength, increment, f.delta, cas, w.value, w.found);
        boolean created = false;
        if (status == MemcachedStore.NOT_FOUND && f.hasVivify) {
            // Created with the initial value (J, default 0) and N's lifetime, not counted as a change.
            int digits = Numbers.format(f.initial, w.value, 0);
            int stored = store.store(MemcachedStore.ADD, key, keyOffset, keyLength, 0, store.deadline(f.vivify), w.value,
                    0, digits, 0, 0, w.found); // memcached does not mark this item's key binary
            created = stored == MemcachedStore.STORED;
            status = created ? MemcachedStore.STORED
                    : store.arithmetic(key, keyOffset, keyLength, increment, f.delta, cas, w.value, w.found);
            if (created) {
                w.found.length = digits;
            }
        } else if (status == MemcachedStore.STORED && f.hasTtl) {
            store.touch(key, keyOffset, keyLength, store.deadline(f.ttl));
            w.found.deadline = store.deadline(f.ttl);
        }
        boolean hit = status == MemcachedStore.STORED;
        count(increment ? (hit ? Stat.incr_hits : Stat.incr_misses) : (hit ? Stat.decr_hits : Stat.decr_misses));
        switch (status) {
            case MemcachedStore.STORED -> {
                if (f.quiet && !created) {
                    return; // q hides a success, except the one that made the item
                }
                if (f.value) {
                    int length = w.found.length;
                    int at = MetaFlags.put(w.line, 0, "VA ");
                    at += Numbers.format(length, w.line, at);
                    at = endLine(f.returnFlags(w.line, at, MA_HIT, w.found, f.base64, w.shared.clock.getAsLong()));
                    MemorySegment.copy(w.value, 0, w.line, at, length);
                    reply(w.line, endLine(at + length));
                } else {
                    reply(w.line, endLine(metaLine("HD", MA_HIT, f.base64)));
                }
            }
            case MemcachedStore.NOT_FOUND -> reply(w.line, endLine(metaLine("NF", KEY_AND_OPAQUE, f.base64)));
            case MemcachedStore.EXISTS -> reply(w.line, endLine(metaLine("EX", KEY_AND_OPAQUE, f.base64)));
            case MemcachedStore.NON_NUMERIC -> reply(R_NON_NUMERIC);
            default -> reply(R_NO_MEMORY_ARITH);
        }
    }

    private void metaDebug(MemorySegment d, int n) {
        if (n != 2) {
            reply(R_ERROR);
            return;
        }
        long key = w.tokenAt[1];
        int keyLength = w.tokenLength[1];
        if (store.get(d, key, keyLength, false, 0, w.value, 0, 0, w.found) != MemcachedStore.HIT) {
            reply(R_EN);
            return;
        }
        MemorySegment l = w.line;
        int at = MetaFlags.put(l, 0, "ME ");
        MemorySegment.copy(d, key, l, at, keyLength);
        at += keyLength;
        at = MetaFlags.put(l, at, " exp=");
        if (w.found.deadline == 0) {
            at = MetaFlags.put(l, at, "-1");
        } else {
            at += Numbers.format(Math.max(0, (w.found.deadline - w.shared.clock.getAsLong()) / 1000), l, at);
        }
        at = MetaFlags.put(l, at, " cas=");
        at += Numbers.format(w.found.cas, l, at);
        at = MetaFlags.put(l, at, " cls=");
        at += Numbers.format(w.found.itemClass + 1, l, at);
        at = MetaFlags.put(l, at, " size=");
        at += Numbers.format(MemcachedStore.HEADER + keyLength + w.found.length, l, at);
        at = MetaFlags.put(l, at, "\r\n");
        reply(l, at);
    }

    // ---- the rest ----

    private void arithmetic(MemorySegment d, int args, boolean noreply, boolean increment) {
        if (args != 3) {
            reply(R_ERROR);
            return;
        }
        if (w.tokenLength[1] > MemcachedStore.MAX_KEY) {
            reply(R_BAD_FORMAT);
            return;
        }
        if (!Numbers.ok(d, w.tokenAt[2], w.tokenLength[2])) {
            reply(R_BAD_DELTA);
            return;
        }
        long delta = Numbers.parseUnsigned(d, w.tokenAt[2], w.tokenLength[2]);
        int status = store.arithmetic(d, w.tokenAt[1], w.tokenLength[1], increment, delta, w.value, w.found);
        boolean hit = status == MemcachedStore.STORED;
        count(increment ? (hit ? Stat.incr_hits : Stat.incr_misses) : (hit ? Stat.decr_hits : Stat.decr_misses));
        switch (status) {
            case MemcachedStore.STORED -> {
                if (!noreply) {
                    int length = w.found.length;
                    w.value.set(BYTE, length, (byte) '\r');
                    w.value.set(BYTE, length + 1, (byte) '\n');
                    reply(w.value, length + 2);
                }
            }
            case MemcachedStore.NOT_FOUND -> answer(R_NOT_FOUND, noreply);
            case MemcachedStore.NON_NUMERIC -> reply(R_NON_NUMERIC);
            default -> reply(R_NO_MEMORY_ARITH);
        }
    }

    private void delete(MemorySegment d, int n, int args, boolean noreply) {
        boolean ok = args == 2 || (args == 3 && token(d, 2, ZERO));
        if (!ok || n > args + 1) {
            reply(args < 2 ? R_ERROR : R_DELETE_USAGE);
            return;
        }
        if (w.tokenLength[1] > MemcachedStore.MAX_KEY) {
            reply(R_BAD_FORMAT);
            return;
        }
        int status = store.delete(d, w.tokenAt[1], w.tokenLength[1]);
        count(status == MemcachedStore.DELETED ? Stat.delete_hits : Stat.delete_misses);
        answer(status == MemcachedStore.DELETED ? R_DELETED : R_NOT_FOUND, noreply);
    }

    private void touch(MemorySegment d, int args, boolean noreply) {
        if (args != 3) {
            reply(R_ERROR);
            return;
        }
        if (w.tokenLength[1] > MemcachedStore.MAX_KEY) {
            reply(R_BAD_FORMAT);
            return;
        }
        if (!Numbers.okSigned(d, w.tokenAt[2], w.tokenLength[2])) {
            reply(R_BAD_EXPTIME);
            return;
        }
        long deadline = store.deadline(Numbers.parseSigned(d, w.tokenAt[2], w.tokenLength[2]));
        int status = store.touch(d, w.tokenAt[1], w.tokenLength[1], deadline);
        count(Stat.cmd_touch);
        count(status == MemcachedStore.TOUCHED ? Stat.touch_hits : Stat.touch_misses);
        answer(status == MemcachedStore.TOUCHED ? R_TOUCHED : R_NOT_FOUND, noreply);
    }

    private void flushAll(MemorySegment d, int args, boolean noreply) {
        if (args > 2) {
            reply(R_ERROR);
            return;
        }
        long delay = 0;
        if (args == 2) {
            if (!Numbers.okSigned(d, w.tokenAt[1], w.tokenLength[1])) {
                reply(R_BAD_EXPTIME);
                return;
            }
            delay = Numbers.parseSigned(d, w.tokenAt[1], w.tokenLength[1]);
        }
        count(Stat.cmd_flush);
        store.flushAll(delay);
        answer(R_OK, noreply);
    }

    private void stats(MemorySegment d, int n) {
        if (n == 2 && token(d, 1, RESET)) {
            for (MemcachedServer.Worker worker : w.shared.workers) {
                java.util.Arrays.fill(worker.stats, 0); // racy with other threads, as memcached's own
            }
            reply(R_RESET);
            return;
        }
        if (n > 1) {
            reply(R_ERROR); // stats settings, items, slabs...: not kept
            return;
        }
        byte[] text = statsText().getBytes(StandardCharsets.US_ASCII);
        reply(MemorySegment.ofArray(text), text.length);
    }

    private String statsText() {
        MemcachedServer.Shared s = w.shared;
        long now = s.clock.getAsLong();
        long[] sum = new long[Stat.values().length];
        for (MemcachedServer.Worker worker : s.workers) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] += worker.stats[i];
            }
        }
        long[] totals = store.totals();
        StringBuilder b = new StringBuilder(2048);
        stat(b, "pid", ProcessHandle.current().pid());
        stat(b, "uptime", (now - s.started) / 1000);
        stat(b, "time", now / 1000);
        b.append("STAT version ").append(MemcachedServer.VERSION).append("\r\n");
        stat(b, "pointer_size", 64);
        stat(b, "curr_connections", s.connections.get());
        stat(b, "total_connections", s.totalConnections.get());
        stat(b, "max_connections", s.config.maxConnections());
        for (Stat st : Stat.values()) {
            stat(b, st.name(), sum[st.ordinal()]);
        }
        stat(b, "threads", s.workers.size());
        stat(b, "limit_maxbytes", store.limitBytes());
        stat(b, "item_size_max", store.itemLimit());
        stat(b, "curr_items", totals[0]);
        stat(b, "total_items", totals[3]);
        stat(b, "bytes", totals[1]);
        stat(b, "evictions", totals[2]);
        b.append("END\r\n");
        return b.toString();
    }

    private static void stat(StringBuilder b, String name, long value) {
        b.append("STAT ").append(name).append(' ').append(value).append("\r\n");
    }

    private void count(Stat stat) {
        w.stats[stat.ordinal()]++;
    }

    private void answer(MemorySegment r, boolean noreply) {
        if (!noreply) {
            reply(r);
        }
    }

    private void reply(MemorySegment r) {
        reply(r, (int) r.byteSize());
    }

    /** A reply of at most {@link #RESERVE} bytes, for which room was checked before the command ran. */
    private void reply(MemorySegment r, int length) {
        if (!isOpen()) {
            return;
        }
        int n = write(r, 0, length);
        w.stats[Stat.bytes_written.ordinal()] += n;
        if (n < length) {
            end(); // cannot happen given the reserve; a cut reply must not be followed by another
        }
    }

    /**
     * The data block of a storage command, {@code bytes} long after the {@code consumed}-byte
     * command line at {@code start}: the bytes the whole command takes when the block is complete
     * and ends in CRLF; 0 when it has not all arrived (it is streamed then); minus those bytes
     * when it does not end in CRLF (answered with memcached's bad-chunk error, to be consumed).
     */
    private int dataBlock(MemorySegment d, long start, int consumed, long bytes, int avail) {
        int need = consumed + (int) bytes + 2;
        if (avail < need) {
            return 0;
        }
        long end = start + consumed + bytes;
        if (d.get(BYTE, end) != '\r' || d.get(BYTE, end + 1) != '\n') {
            reply(R_BAD_CHUNK);
            return -need;
        }
        count(Stat.cmd_set);
        return need;
    }
}
