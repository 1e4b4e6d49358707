package io.jix.dataplane;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Sends one command to a dataplane's command channel and returns its reply (what {@code ./jix
 * ctl} does). The protocol: the client sends one line (at most {@value #MAX_REQUEST} bytes of
 * UTF-8, ending in a newline); the dataplane answers {@code ok} or {@code error} on the first line,
 * the reply's text after it, and closes the connection.
 */
public final class CommandClient {

    /** The longest request line the channel accepts, in bytes, newline excluded. */
    public static final int MAX_REQUEST = 4096;
    /** The longest reply a client reads, in bytes. */
    public static final int MAX_REPLY = 16 << 20;

    private CommandClient() {
    }

    /** Sends {@code line} to the channel at {@code socket}; gives up (IOException) after {@code timeout}. */
    public static Commands.Reply send(Path socket, String line, Duration timeout) throws IOException {
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a command is one line");
        }
        byte[] request = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (request.length > MAX_REQUEST + 1) {
            throw new IllegalArgumentException("command longer than " + MAX_REQUEST + " bytes");
        }
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            // Blocking channels have no read timeout: a watchdog closes the channel instead.
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(timeout);
                    ch.close();
                } catch (InterruptedException | IOException ignored) {
                    // done in time, or already closed
                }
            });
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ByteBuffer out = ByteBuffer.wrap(request);
                try {
                    while (out.hasRemaining()) {
                        ch.write(out);
                    }
                    ch.shutdownOutput();
                } catch (IOException e) {
                    // A server that refuses at once (busy) may close before our request is written:
                    // its answer is still there to read.
                    if (!ch.isOpen()) {
                        throw e;
                    }
                }
                ByteBuffer in = ByteBuffer.allocate(64 * 1024);
                while (ch.read(in) >= 0) {
                    reply.write(in.array(), 0, in.position());
                    in.clear();
                    if (reply.size() > MAX_REPLY) {
                        throw new IOException("reply longer than " + MAX_REPLY + " bytes");
                    }
                }
            } catch (IOException e) {
                if (!ch.isOpen()) {
                    throw new IOException("no reply from " + socket + " within " + timeout.toMillis() + " ms", e);
                }
                if (reply.size() == 0) {
                    throw e;
                }
                // A reset after the reply (the channel closed with our bytes unread) still ends a whole reply.
            } finally {
                watchdog.interrupt();
            }
        } finally {
            ch.close();
        }
        String text = reply.toString(StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        String status = nl < 0 ? text : text.substring(0, nl);
        String body = nl < 0 ? "" : text.substring(nl + 1);
        return switch (status) {
            case "ok" -> new Commands.Reply(true, body);
            case "error" -> new Commands.Reply(false, body);
            default -> throw new IOException(socket + " answered something that is not a jix reply: "
                    + (status.length() > 60 ? status.substring(0, 60) + "…" : status));
        };
    }
}
