package org.explain4j.serve;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.explain4j.cli.Parse;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.engine.MemoryBudget;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code explain4j serve}: the HTTP service over a folder of models. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serves the models of a folder over HTTP: predictions, explanations, jobs and a web page.",
        footer = {"", "Example:", "  explain4j serve --models examples --port 8080",
                "  curl -s localhost:8080/v1/models/digits_cnn:explain -d '{\"instances\": [[[...]]], "
                        + "\"parameters\": {\"method\": \"saliency\"}}'"})
public final class ServeCommand implements Callable<Integer> {
    /** The environment variable that may hold the bearer token. */
    public static final String TOKEN_ENV = "EXPLAIN4J_SERVE_TOKEN";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--models", required = true, paramLabel = "DIR", description = "Folder of NAME.onnx models (and "
            + "NAME.json cards), also in its direct sub-folders; nothing outside it is read or served.")
    Path models;

    @Option(names = "--port", paramLabel = "P", description = "Port (default 8080; 0: any free port).")
    int port = 8080;

    @Option(names = "--host", paramLabel = "ADDR", description = "Address to listen on (default 127.0.0.1); "
            + "another than loopback needs a token.")
    String host = "127.0.0.1";

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token clients must "
            + "send (default: the environment variable " + TOKEN_ENV + ", else no authentication, loopback only).")
    Path tokenFile;

    @Option(names = "--max-body", paramLabel = "SIZE", description = "Largest request body, e.g. 16m (default 16m).")
    String maxBody = "16m";

    @Option(names = "--max-instances", paramLabel = "N", description = "Most instances per request (default 64).")
    int maxInstances = 64;

    @Option(names = "--max-jobs", paramLabel = "N", description = "Explanations running at once (default: half the cores, at least 1).")
    Integer maxJobs;

    @Option(names = "--queue", paramLabel = "N", description = "Explanations waiting beyond those; when full, 429 "
            + "with Retry-After (default 64).")
    int queue = 64;

    @Option(names = "--job-deadline", paramLabel = "SECONDS", description = "Longest an explanation may run "
            + "(default 600).")
    int jobDeadline = 600;

    @Option(names = "--session-memory", paramLabel = "SIZE", description = "Budget of the compiled backward sessions "
            + "held, all models together; the least recently used idle ones are closed first (default 512m).")
    String sessionMemory = "512m";

    @Option(names = "--job-memory", paramLabel = "SIZE", description = "Most memory one explanation or evaluation "
            + "is estimated to need (from its method and budget: samples x features, steps x input size, ...); "
            + "larger ones are refused with 413 naming the parameter (default: a quarter of the maximum heap).")
    String jobMemory;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads per session (0: its default).")
    int threads;

    @Option(names = "--access-log", description = "Write one JSON line per request to standard error (default true).",
            negatable = true)
    boolean accessLog = true;

    @Override
    public Integer call() throws Exception {
        String token = token();
        String h = host;
        if (token == null && !loopback(h)) {
            spec.commandLine().getErr().println("explain4j serve: no token (--token-file or " + TOKEN_ENV + "): listening "
                    + "on 127.0.0.1 only, not on " + h);
            h = "127.0.0.1";
        }
        if (port < 0 || port > 65535) {
            throw Explain4jException.usage("--port", "--port " + port + " must be between 0 and 65535");
        }
        // the sessions' own bound and message (OnnxModel.Options), checked before the server starts
        org.explain4j.onnx.OnnxModel.Options.defaults().withThreads(threads);
        Parse.atLeastOne("--max-instances", maxInstances);
        Parse.atLeastOne("--queue", queue);
        Parse.atLeastOne("--job-deadline", jobDeadline);
        if (maxJobs != null) {
            Parse.atLeastOne("--max-jobs", maxJobs);
        }
        ServeConfig d = ServeConfig.defaults(models);
        ServeConfig c = new ServeConfig(models, h, port, token, MemoryBudget.parse(maxBody, "--max-body"), maxInstances,
                maxJobs == null ? d.maxJobs() : maxJobs, queue, Duration.ofSeconds(jobDeadline),
                MemoryBudget.parse(sessionMemory, "--session-memory"), threads, d.jobRetention(),
                jobMemory == null ? d.jobMemory() : MemoryBudget.parse(jobMemory, "--job-memory"));
        long t0 = System.nanoTime();
        Server s = new Server(c, accessLog ? System.err : null).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.stop(Duration.ofSeconds(10));
            stopped.countDown();
        }, "explain4j-serve-shutdown"));
        var out = spec.commandLine().getOut();
        out.println("explain4j serve: " + s.store().rescan().size() + " model(s) from " + s.store().root() + "; listening on http://"
                + (h.contains(":") ? "[" + h + "]" : h) + ":" + s.port() + "/ (" + (token == null
                ? "no authentication, loopback only" : "bearer token required") + "), started in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        out.flush();
        stopped.await();
        return 0;
    }

    private String token() {
        String t = null;
        if (tokenFile != null) {
            try {
                t = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw Explain4jException.file("--token-file", "--token-file " + tokenFile + " cannot be read: "
                        + e.getMessage());
            }
            if (t.isEmpty()) {
                throw Explain4jException.file("--token-file", "--token-file " + tokenFile + " is empty; put the token in it");
            }
        } else {
            String e = System.getenv(TOKEN_ENV);
            t = e == null || e.isBlank() ? null : e.trim();
        }
        return t;
    }

    static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw Explain4jException.usage("--host", "--host " + host + " is not a known address");
        }
    }
}
