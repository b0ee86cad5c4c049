package org.explain4j.serve;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;

/**
 * Tells whether the client of a waiting request has closed its connection.
 *
 * <p>Jetty learns that an HTTP/1 connection closed only when it next reads from it or writes to it; while a
 * handler waits after reading the whole body it does neither, so nothing (not the core request's failure
 * listeners either) reports a client that left. This watch registers the request's socket with a selector
 * of its own (a channel may be registered with several selectors; Jetty's registration is left as it is)
 * and asks it, without reading, whether the socket is readable: readable with no byte to read means the
 * client closed its side (end of stream) or reset the connection. Readable with bytes (a pipelined next
 * request, or TLS records) is not taken for a leave. A socket Jetty itself has closed counts as left: no
 * answer can reach the client any more.
 *
 * <p>Requests whose socket cannot be reached (not a socket channel, a blocking channel, HTTP/2 and later, whose
 * one socket carries many requests) get a watch that never reports a leave; so does a socket the check
 * fails on in an unexpected way (the watch stops rather than cancel a job on a guess). Always close the watch: a socket Jetty closes is released only once every
 * selector it is registered with has let it go.
 */
final class ClientWatch implements AutoCloseable {
    private SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private boolean left;

    private ClientWatch(SocketChannel channel, Selector selector, SelectionKey key) {
        this.channel = channel;
        this.selector = selector;
        this.key = key;
    }

    /** A watch on the connection of {@code ctx}'s request. */
    static ClientWatch of(Context ctx) {
        SocketChannel channel = socket(ctx);
        if (channel == null) {
            return new ClientWatch(null, null, null);
        }
        Selector selector = null;
        try {
            selector = Selector.open();
            return new ClientWatch(channel, selector, channel.register(selector, SelectionKey.OP_READ));
        } catch (IOException | RuntimeException e) {
            // a channel already closed (the client left before the job was queued) or one Jetty blocks on
            boolean closed = !channel.isOpen();
            close(selector);
            ClientWatch w = new ClientWatch(null, null, null);
            w.left = closed;
            return w;
        }
    }

    private static SocketChannel socket(Context ctx) {
        try {
            ServletContextRequest core = ServletContextRequest.getServletContextRequest(ctx.req());
            if (core == null) {
                return null;
            }
            if (core.getConnectionMetaData().getHttpVersion() == null
                    || core.getConnectionMetaData().getHttpVersion().getVersion() >= 20) {
                return null; // HTTP/2 and later multiplex streams on one socket: its end-of-stream is no one request's
            }
            Connection c = core.getConnectionMetaData().getConnection();
            EndPoint e = c == null ? null : c.getEndPoint();
            return e != null && e.getTransport() instanceof SocketChannel s ? s : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Whether the client has closed (or reset) its connection; checked without waiting or reading. */
    boolean left() {
        if (left || channel == null) {
            return left;
        }
        try {
            if (!channel.isOpen() || !key.isValid()) {
                return left = true;
            }
            selector.selectedKeys().clear();
            selector.selectNow();
            if (selector.selectedKeys().contains(key) && key.isReadable()) {
                left = channel.socket().getInputStream().available() == 0;
            }
        } catch (IOException | CancelledKeyException e) {
            left = true; // reset, or closed under the check
        } catch (RuntimeException e) {
            // a socket this check cannot read (a blocking mode change under it, say): stop watching and never
            // cancel a job on a guess
            close();
            channel = null;
        }
        return left;
    }

    @Override
    public void close() {
        close(selector);
    }

    private static void close(Selector s) {
        if (s != null) {
            try {
                s.close(); // deregisters the socket from this selector
            } catch (IOException e) {
                // closing a selector does not fail the request
            }
        }
    }
}
