package io.jix.apps.memcached;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A blocking loopback socket speaking memcached's text protocol, a line at a time, for tests. */
final class TextClient {

    private TextClient() {
    }

    /** A connection to the loopback port with a 10 s read timeout and no Nagle delay. */
    static Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        return s;
    }

    /** Writes the text as bytes 0-255, one per character. */
    static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** The next line with its CRLF, or null at end of stream; fails past 4 KiB without one. */
    static String line(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4096; i++) {
            int c = in.read();
            if (c < 0) {
                return b.length() == 0 ? null : b.toString();
            }
            b.append((char) c);
            if (c == '\n') {
                return b.toString();
            }
        }
        throw new AssertionError("no end of line in " + b);
    }
}
