package io.jix.loadgen.memcached;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A memcached workload: a fixed key space whose every key has a length and a value length drawn
 * once, from a seeded generator, and a GET/SET mix. Requests pick keys uniformly.
 *
 * <ul>
 *   <li>{@link #etc}: Facebook's ETC pool as Atikoglu et al. (SIGMETRICS 2012) fitted it — key
 *       sizes from a generalized extreme value distribution (location 30.8, scale 8.2, shape
 *       0.079) truncated to 20..70 bytes, value sizes from a generalized Pareto distribution
 *       (scale 214.5, shape 0.348) truncated to 1..1024 bytes, so most values are small and a few
 *       near 1 KB (median 154 bytes, mean 230 with seed 1); 75 % GET, 25 % SET.</li>
 *   <li>{@link #usr}: the USR pool — keys of 16..19 bytes (uniform), 2-byte values, 99 % GET.</li>
 * </ul>
 *
 * <p>Values are not stored: the bytes a SET writes are a function of the key and the 32-bit flags
 * word sent with it ({@link #valueWord}), so a GET's reply can be checked against the flags it
 * carries — the key must be the one asked, the length the key's, and every byte the ones a SET of
 * that key with those flags wrote. Read-only after construction: one instance serves every thread.
 */
public final class KeyValueMix {

    /** Most keys a key space may have (the key table is held in memory). */
    public static final int MAX_KEYS = 5_000_000;

    private final String name;
    private final int keys;
    private final double getFraction;
    private final byte[] keyBytes;
    private final int[] keyOffset; // keys + 1 entries: key i is keyBytes[keyOffset[i] .. keyOffset[i + 1])
    private final short[] valueLength;
    private final int maxKeyLength;
    private final int maxValueLength;

    private KeyValueMix(String name, int keys, double getFraction, long seed, LengthDraw keyDraw,
                        LengthDraw valueDraw) {
        if (keys < 1 || keys > MAX_KEYS) {
            throw new IllegalArgumentException("keys must be 1.." + MAX_KEYS + ", got " + keys);
        }
        this.name = name;
        this.keys = keys;
        this.getFraction = getFraction;
        SplittableRandom random = new SplittableRandom(seed);
        int[] keyLengths = new int[keys];
        long total = 0;
        int maxKey = 0;
        for (int i = 0; i < keys; i++) {
            keyLengths[i] = Math.max(keyDraw.draw(random), minimumKeyLength(i));
            total += keyLengths[i];
            maxKey = Math.max(maxKey, keyLengths[i]);
        }
        this.keyBytes = new byte[Math.toIntExact(total)];
        this.keyOffset = new int[keys + 1];
        this.valueLength = new short[keys];
        int maxValue = 0;
        int at = 0;
        for (int i = 0; i < keys; i++) {
            keyOffset[i] = at;
            writeKey(i, keyLengths[i], at, random);
            at += keyLengths[i];
            valueLength[i] = (short) valueDraw.draw(random);
            maxValue = Math.max(maxValue, valueLength[i]);
        }
        keyOffset[keys] = at;
        this.maxKeyLength = maxKey;
        this.maxValueLength = maxValue;
    }

    /** ETC with {@code keys} keys (see the class comment). */
    public static KeyValueMix etc(int keys, long seed) {
        Truncated keySize = Truncated.gev(30.7984, 8.20449, 0.078688, 20, 70);
        Truncated valueSize = Truncated.gpd(214.476, 0.348238, 1, 1024);
        return new KeyValueMix("etc", keys, 0.75, seed, r -> (int) Math.round(keySize.sample(r)),
                r -> (int) Math.round(valueSize.sample(r)));
    }

    /** USR with {@code keys} keys (see the class comment). */
    public static KeyValueMix usr(int keys, long seed) {
        return new KeyValueMix("usr", keys, 0.99, seed, r -> 16 + r.nextInt(4), r -> 2);
    }

    /** {@code etc} or {@code usr} by name. */
    public static KeyValueMix named(String name, int keys, long seed) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "etc" -> etc(keys, seed);
            case "usr" -> usr(keys, seed);
            default -> throw new IllegalArgumentException("workload must be etc or usr, not " + name);
        };
    }

    /** {@code etc} or {@code usr}. */
    public String name() {
        return name;
    }

    /** Keys in the key space. */
    public int keys() {
        return keys;
    }

    /** Share of requests that are GETs (the rest are SETs). */
    public double getFraction() {
        return getFraction;
    }

    /** The next request's key: uniform over the key space. */
    public int nextKey(SplittableRandom random) {
        return random.nextInt(keys);
    }

    /** Whether the next request is a GET (else a SET), with probability {@link #getFraction()}. */
    public boolean nextIsGet(SplittableRandom random) {
        return random.nextDouble() < getFraction;
    }

    /** Length of key {@code key} in bytes. */
    public int keyLength(int key) {
        return keyOffset[key + 1] - keyOffset[key];
    }

    /** Length of the values of key {@code key} in bytes. */
    public int valueLength(int key) {
        return valueLength[key];
    }

    /** The longest key. */
    public int maxKeyLength() {
        return maxKeyLength;
    }

    /** The longest value. */
    public int maxValueLength() {
        return maxValueLength;
    }

    /** Puts key {@code key}'s bytes at {@code out}'s position. */
    public void putKey(ByteBuffer out, int key) {
        out.put(keyBytes, keyOffset[key], keyLength(key));
    }

    /** Whether {@code length} bytes of {@code in} from absolute index {@code at} are key {@code key}. */
    public boolean keyEquals(ByteBuffer in, int at, int length, int key) {
        if (length != keyLength(key)) {
            return false;
        }
        int from = keyOffset[key];
        for (int k = 0; k < length; k++) {
            if (in.get(at + k) != keyBytes[from + k]) {
                return false;
            }
        }
        return true;
    }

    /** The key as text (for messages and tests). */
    public String keyText(int key) {
        return new String(keyBytes, keyOffset[key], keyLength(key), java.nio.charset.StandardCharsets.US_ASCII);
    }

    /**
     * Word {@code j} of the value a SET of {@code key} with {@code flags} writes: value byte
     * {@code p} is byte {@code p % 8} (big-endian) of word {@code p / 8}.
     */
    public static long valueWord(int key, int flags, int j) {
        return mix(((long) key << 32 | (flags & 0xffffffffL)) + 0x9E3779B97F4A7C15L * (j + 1));
    }

    /** Puts the value of {@code key} with {@code flags} at {@code out}'s position. */
    public void putValue(ByteBuffer out, int key, int flags) {
        int length = valueLength[key];
        int j = 0;
        for (; (j + 1) * 8 <= length; j++) {
            out.putLong(valueWord(key, flags, j));
        }
        long last = valueWord(key, flags, j);
        for (int p = j * 8; p < length; p++) {
            out.put((byte) (last >>> (56 - 8 * (p & 7))));
        }
    }

    /** Whether the value bytes at absolute index {@code at} of {@code in} are {@code key}'s with {@code flags}. */
    public boolean valueEquals(ByteBuffer in, int at, int length, int key, int flags) {
        if (length != valueLength[key]) {
            return false;
        }
        int j = 0;
        for (; (j + 1) * 8 <= length; j++) {
            if (in.getLong(at + j * 8) != valueWord(key, flags, j)) {
                return false;
            }
        }
        long last = valueWord(key, flags, j);
        for (int p = j * 8; p < length; p++) {
            if (in.get(at + p) != (byte) (last >>> (56 - 8 * (p & 7)))) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ keys

    /** Keys are {@code k<index>.} followed by letters and digits up to their length. */
    private static int minimumKeyLength(int index) {
        return 2 + Integer.toString(index).length();
    }

    private void writeKey(int index, int length, int at, SplittableRandom random) {
        String head = "k" + index + ".";
        int p = 0;
        for (; p < head.length() && p < length; p++) {
            keyBytes[at + p] = (byte) head.charAt(p);
        }
        for (; p < length; p++) {
            int c = random.nextInt(36);
            keyBytes[at + p] = (byte) (c < 10 ? '0' + c : 'a' + c - 10);
        }
    }

    private static long mix(long z) { // SplitMix64's finaliser
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @FunctionalInterface
    private interface LengthDraw {
        int draw(SplittableRandom random);
    }
}
