package io.jix.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command channel answers its commands and survives clients that misbehave. */
class CommandChannelTest {

    private static final Duration DEADLINE = Duration.ofMillis(400);

    @TempDir
    Path dir;
    private Path socket;
    private Commands commands;
    private CommandChannel channel;
    private final List<SocketChannel> opened = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        socket = dir.resolve("test.sock");
        commands = new Commands();
        channel = new CommandChannel(socket, commands, DEADLINE, "test-commands");
    }

    @AfterEach
    void stop() throws IOException {
        for (SocketChannel c : opened) {
            c.close();
        }
        channel.close();
        assertThat(socket).doesNotExist();
    }

    private Commands.Reply ask(String line) throws IOException {
        return CommandClient.send(socket, line, Duration.ofSeconds(5));
    }

    @Test
    void builtInsAndRegisteredHandlersAnswer() throws IOException {
        AtomicReference<String> handlerThread = new AtomicReference<>();
        commands.register("add", "add two numbers", args -> {
            handlerThread.set(Thread.currentThread().getName());
            if (args.size() != 2) {
                throw new IllegalArgumentException("usage: add A B");
            }
            return Long.toString(Long.parseLong(args.get(0)) + Long.parseLong(args.get(1)));
        });
        commands.register("boom", "fails", args -> {
            throw new IllegalStateException("kaput");
        });
        assertThat(ask("ping")).isEqualTo(new Commands.Reply(true, "pong"));
        assertThat(ask("help").text()).contains("ping", "help", "add", "add two numbers");
        assertThat(ask("  add\t40   2 ")).isEqualTo(new Commands.Reply(true, "42"));
        assertThat(handlerThread.get()).isEqualTo("test-commands");
        assertThat(ask("add 1")).isEqualTo(new Commands.Reply(false, "add: usage: add A B"));
        assertThat(ask("add x y").text()).startsWith("add: ").contains("For input string");
        assertThat(ask("boom")).isEqualTo(new Commands.Reply(false, "boom failed: java.lang.IllegalStateException: kaput"));
        assertThat(ask("nope")).isEqualTo(new Commands.Reply(false, "unknown command: nope; try: help"));
        assertThat(ask("")).isEqualTo(new Commands.Reply(false, "empty request; try: help"));
        assertThatThrownBy(() -> commands.register("ping", "again", args -> "")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> commands.register("Bad Name", "x", args -> "")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyTheOwnerMayConnect() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
    }

    @Test
    void garbageGetsAnErrorAndTheChannelCarriesOn() throws Exception {
        assertThat(raw(new byte[] {(byte) 0xff, (byte) 0xfe, 'x', '\n'})).isEqualTo("error\nrequest is not UTF-8 text");
        assertThat(raw("ping\0\1\n".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("error\nrequest is not text (control characters)");
        assertThat(raw("ping\r\n".getBytes(StandardCharsets.UTF_8))).isEqualTo("ok\npong");
        assertThat(raw("ping".getBytes(StandardCharsets.UTF_8))).as("a request ended by EOF").isEqualTo("ok\npong");
        assertThat(ask("ping").ok()).isTrue();
    }

    @Test
    void aHugeLineIsRefusedWithoutReadingItAll() throws Exception {
        SocketChannel c = connect();
        // Sent from another thread: once refused, the server stops reading and the rest would block us.
        CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> {
            ByteBuffer junk = ByteBuffer.allocate(1 << 20);
            while (junk.hasRemaining()) {
                junk.put((byte) 'a');
            }
            junk.flip();
            try {
                while (junk.hasRemaining()) {
                    c.write(junk);
                }
            } catch (IOException expected) {
                // the server closed the connection under us
            }
        });
        assertThat(readAll(c)).isEqualTo("error\nrequest longer than 4096 bytes");
        flood.get(5, TimeUnit.SECONDS);
        assertThat(ask("ping").ok()).isTrue();
    }

    @Test
    void aSilentClientIsDroppedAtTheDeadlineAndDoesNotHoldUpOthers() throws Exception {
        SocketChannel silent = connect();
        silent.write(ByteBuffer.wrap("pi".getBytes(StandardCharsets.UTF_8))); // half a request, then nothing
        long start = System.nanoTime();
        assertThat(ask("ping").ok()).isTrue();
        assertThat(System.nanoTime() - start).as("answered while the silent client waits")
                .isLessThan(DEADLINE.toNanos());
        assertThat(readAll(silent)).isEqualTo("error\nno complete request within 400 ms");
        assertThat(System.nanoTime() - start).isLessThan(DEADLINE.toNanos() * 3);
    }

    @Test
    void clientsBeyondTheLimitAreToldTheChannelIsBusy() throws Exception {
        List<SocketChannel> silent = new ArrayList<>();
        for (int i = 0; i < CommandChannel.MAX_CLIENTS; i++) {
            silent.add(connect());
        }
        Commands.Reply busy = ask("ping");
        assertThat(busy.ok()).isFalse();
        assertThat(busy.text()).startsWith("busy");
        for (SocketChannel s : silent) {
            s.close();
        }
        // Closed clients free their places once the server notices (at the latest at their deadline).
        long deadline = System.nanoTime() + DEADLINE.toNanos() * 5;
        Commands.Reply r = ask("ping");
        while (!r.ok() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            r = ask("ping");
        }
        assertThat(r.ok()).isTrue();
    }

    private SocketChannel connect() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        opened.add(c);
        c.connect(UnixDomainSocketAddress.of(socket));
        return c;
    }

    private String raw(byte[] request) throws Exception {
        SocketChannel c = connect();
        c.write(ByteBuffer.wrap(request));
        c.shutdownOutput();
        return readAll(c);
    }

    /** Everything until the server closes (or resets after its reply), within 5 s. */
    private static String readAll(SocketChannel c) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(4096);
            try {
                while (c.read(in) >= 0) {
                    out.write(in.array(), 0, in.position());
                    in.clear();
                }
            } catch (IOException reset) {
                // a reset after the reply: the server closed with our bytes unread
            }
            return out.toString(StandardCharsets.UTF_8);
        }).get(5, TimeUnit.SECONDS);
    }
}
