package org.explain4j.serve.ui;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import org.explain4j.serve.ServeConfig;
import org.explain4j.serve.Server;

/** The real server, in this process, on a free loopback port, running one job at a time. */
final class UiServer implements AutoCloseable {
    private final Server server;

    private UiServer(Server server) {
        this.server = server;
    }

    static UiServer start(Path models) {
        ServeConfig config = ServeConfig.defaults(models).withPort(0)
                .withLimits(16L << 20, 64, 1, 64, Duration.ofMinutes(5));
        return new UiServer(new Server(config, new PrintStream(OutputStream.nullOutputStream())).start());
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
