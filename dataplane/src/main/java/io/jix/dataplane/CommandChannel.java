package io.jix.dataplane;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The server side of a dataplane's command channel: a Unix-domain socket (mode 0600, and each
 * peer's credentials checked: only the dataplane's own user or root) served by one background
 * daemon thread with a selector, which runs the {@link Commands} handlers. The protocol is {@link
 * CommandClient}'s. Bounded against any client: at most {@value #MAX_CLIENTS} at once, a request of
 * at most {@link CommandClient#MAX_REQUEST} bytes of text that must arrive, and a reply that must
 * leave, within the deadline; anything else gets an error (when it can still be sent) and the
 * connection is dropped. No elastic thread ever waits on it.
 */
final class CommandChannel implements AutoCloseable {

    static final int MAX_CLIENTS = 16;
    static final Duration DEADLINE = Duration.ofSeconds(2);

    private final Commands commands;
    private final Path socket;
    private final long deadlineNanos;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final UserPrincipal owner;
    private final Thread thread;
    private volatile boolean closed;
    private int clients;

    /** One connection's progress: the request being read, then the reply being written. */
    private static final class Client {
        final ByteBuffer in = ByteBuffer.allocate(CommandClient.MAX_REQUEST + 1);
        final long deadline;
        ByteBuffer out;

        Client(long deadline) {
            this.deadline = deadline;
        }
    }

    /** Listens on {@code socket} (replacing a stale file there) and serves {@code commands} on thread {@code name}. */
    CommandChannel(Path socket, Commands commands, Duration deadline, String name) throws IOException {
        this.commands = commands;
        this.socket = socket;
        this.deadlineNanos = deadline.toNanos();
        Files.deleteIfExists(socket);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(socket), MAX_CLIENTS);
            // The owner may read and write it (connecting needs write permission); root passes anyway.
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            owner = Files.getOwner(socket);
            s.configureBlocking(false);
            selector = Selector.open();
            s.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            s.close();
            Files.deleteIfExists(socket);
            throw e;
        }
        server = s;
        thread = Thread.ofPlatform().daemon().name(name).start(this::serve);
    }

    /**
     * The channel of the dataplane writing {@code stats}: at {@code <stats file>.sock}, published in
     * the stats file. If the socket cannot be made (a path too long for a Unix socket, a read-only
     * directory) the dataplane runs without one and says so in one line; {@code commands} stays usable.
     */
    static CommandChannel open(StatsFile stats, Commands commands, String threadName) {
        Path socket = stats.path().resolveSibling(stats.path().getFileName() + ".sock");
        try {
            CommandChannel channel = new CommandChannel(socket, commands, DEADLINE, threadName);
            stats.setCommandChannel(socket);
            return channel;
        } catch (IOException | RuntimeException e) {
            System.err.println("jix: no command channel (./jix ctl) at " + socket + ": " + e.getMessage());
            return null;
        }
    }

    /** Where it listens. */
    Path socket() {
        return socket;
    }

    /** Stops serving (a handler running now finishes first, for at most a second) and removes the socket. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // best effort: a stale socket file is replaced by the next dataplane with this path
        }
    }

    private void serve() {
        try {
            while (!closed) {
                selector.select(this::ready, Math.max(10, deadlineNanos / 4_000_000));
                expire(System.nanoTime());
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                System.err.println("jix: command channel " + socket + " stopped: " + e);
            }
        } finally {
            for (SelectionKey k : selector.keys()) {
                closeQuietly(k);
            }
            try {
                selector.close();
                server.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void ready(SelectionKey key) {
        try {
            if (key.isAcceptable()) {
                accept();
            } else if (key.isReadable()) {
                read(key);
            } else if (key.isWritable()) {
                write(key);
            }
        } catch (IOException | RuntimeException e) {
            drop(key); // the client went away or misbehaved: its connection only
        }
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            Client c = new Client(System.nanoTime() + deadlineNanos);
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ, c);
            clients++;
            if (clients > MAX_CLIENTS) {
                reply(key, Commands.Reply.error("busy: " + MAX_CLIENTS + " clients already; try again"));
            } else if (!allowed(ch)) {
                reply(key, Commands.Reply.error("permission denied: only the dataplane's user or root"));
            }
        }
    }

    private boolean allowed(SocketChannel ch) throws IOException {
        UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return peer.user().equals(owner) || peer.user().getName().equals("root");
    }

    private void read(SelectionKey key) throws IOException {
        Client c = (Client) key.attachment();
        int n = ((SocketChannel) key.channel()).read(c.in);
        int end = newline(c.in);
        if (end >= 0 || n < 0) {
            reply(key, execute(c.in, end >= 0 ? end : c.in.position()));
        } else if (!c.in.hasRemaining()) {
            reply(key, Commands.Reply.error("request longer than " + CommandClient.MAX_REQUEST + " bytes"));
        }
    }

    private static int newline(ByteBuffer in) {
        for (int i = 0; i < in.position(); i++) {
            if (in.get(i) == '\n') {
                return i;
            }
        }
        return -1;
    }

    private Commands.Reply execute(ByteBuffer in, int length) {
        String line;
        try {
            line = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in.slice(0, length)).toString();
        } catch (CharacterCodingException e) {
            return Commands.Reply.error("request is not UTF-8 text");
        }
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.chars().anyMatch(ch -> Character.isISOControl(ch) && ch != '\t')) {
            return Commands.Reply.error("request is not text (control characters)");
        }
        return commands.execute(line);
    }

    private void reply(SelectionKey key, Commands.Reply reply) throws IOException {
        Client c = (Client) key.attachment();
        byte[] text = ((reply.ok() ? "ok\n" : "error\n") + reply.text()).getBytes(StandardCharsets.UTF_8);
        c.out = ByteBuffer.wrap(text, 0, Math.min(text.length, CommandClient.MAX_REPLY));
        key.interestOps(SelectionKey.OP_WRITE);
        write(key);
    }

    private void write(SelectionKey key) throws IOException {
        Client c = (Client) key.attachment();
        ((SocketChannel) key.channel()).write(c.out);
        if (!c.out.hasRemaining()) {
            drop(key);
        }
    }

    /** Drops every client past its deadline; one still waiting for its request is told why, if it can take it. */
    private void expire(long now) {
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Client c && key.isValid() && now - c.deadline > 0) {
                if (c.out == null) {
                    try {
                        ((SocketChannel) key.channel()).write(ByteBuffer.wrap(("error\nno complete request within "
                                + deadlineNanos / 1_000_000 + " ms").getBytes(StandardCharsets.UTF_8)));
                    } catch (IOException ignored) {
                        // dropped anyway
                    }
                }
                drop(key);
            }
        }
    }

    private void drop(SelectionKey key) {
        if (key.attachment() instanceof Client && key.isValid()) {
            clients--;
        }
        closeQuietly(key);
    }

    private static void closeQuietly(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
