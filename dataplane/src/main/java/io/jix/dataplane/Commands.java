package io.jix.dataplane;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Pattern;

/**
 * The named commands a running dataplane answers on its command channel ({@code ./jix ctl}). The
 * dataplane and the control plane register handlers; every handler runs on the channel's own
 * background thread, never on an elastic thread, so a handler that needs an elastic thread hands
 * the work over itself. Built in: {@code help}, {@code ping}, and {@code stats} when the registry
 * belongs to a stats file.
 *
 * <p>A request is one line of text: the command's name and its arguments, separated by blanks.
 * A reply is text, marked {@link Reply#ok()} or not.
 */
public final class Commands {

    /** Handles one command: returns the reply text, or throws {@link IllegalArgumentException} for a usage error. */
    @FunctionalInterface
    public interface Handler {
        /** The reply to the command with arguments {@code args}. */
        String handle(List<String> args);
    }

    /** A command's outcome: its text, and whether it succeeded. */
    public record Reply(boolean ok, String text) {
        /** A failed command's reply. */
        public static Reply error(String text) {
            return new Reply(false, text);
        }
    }

    private record Entry(String help, Handler handler) {
    }

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_.-]{0,31}");
    private static final Pattern BLANKS = Pattern.compile("\\s+");

    private final Map<String, Entry> entries = new ConcurrentSkipListMap<>();

    /** A registry with {@code help} and {@code ping}. */
    public Commands() {
        register("help", "list the commands", args -> help());
        register("ping", "answer pong (is the dataplane alive and listening?)", args -> "pong");
    }

    /** A registry with {@code help}, {@code ping} and {@code stats}, which dumps {@code stats}' counters. */
    public static Commands of(StatsFile stats) {
        Commands c = new Commands();
        c.register("stats", "every counter of every elastic thread, the batch sizes and the topology",
                args -> StatsText.counters(stats.snapshot()));
        return c;
    }

    /**
     * Adds command {@code name} (lower case, digits, {@code _.-}; at most 32 characters). A name
     * registered already is refused.
     */
    public void register(String name, String help, Handler handler) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a command name: " + name);
        }
        Entry e = new Entry(Objects.requireNonNull(help), Objects.requireNonNull(handler));
        if (entries.putIfAbsent(name, e) != null) {
            throw new IllegalStateException("command " + name + " is registered already");
        }
    }

    /** Removes command {@code name}, if registered. */
    public void unregister(String name) {
        entries.remove(name);
    }

    /** The registered names, in order. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /**
     * Runs the command on {@code line}. Unknown commands, usage errors and handler failures become
     * error replies; nothing a client sends escapes as an exception.
     */
    public Reply execute(String line) {
        String trimmed = line.strip();
        if (trimmed.isEmpty()) {
            return Reply.error("empty request; try: help");
        }
        List<String> words = List.of(BLANKS.split(trimmed));
        Entry e = entries.get(words.getFirst());
        if (e == null) {
            return Reply.error("unknown command: " + printable(words.getFirst()) + "; try: help");
        }
        try {
            String text = e.handler().handle(words.subList(1, words.size()));
            return new Reply(true, text == null ? "" : text);
        } catch (IllegalArgumentException ex) {
            return Reply.error(words.getFirst() + ": " + ex.getMessage());
        } catch (RuntimeException ex) {
            return Reply.error(words.getFirst() + " failed: " + ex);
        }
    }

    private String help() {
        StringBuilder b = new StringBuilder();
        entries.forEach((name, e) -> b.append(String.format("%-16s %s%n", name, e.help())));
        return b.toString();
    }

    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        return cut.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}
