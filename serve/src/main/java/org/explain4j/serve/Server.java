package org.explain4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.catalog.CatalogJson;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricJson;

/**
 * The explain4j HTTP service: KServe V1-style model routes, explanation jobs, health, metrics and
 * the OpenAPI document, over Javalin on one port; the web page's files from the class path
 * {@code /web/} at {@code /}. See docs/SERVE.md.
 */
public final class Server implements AutoCloseable {
    static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final String START = "explain4j.start";
    /** Bodies over the limit but at most this long are read and dropped before the 413. */
    static final long DRAIN_LIMIT = 64L << 20;

    static {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private final ServeConfig config;
    private final Metrics metrics = new Metrics();
    private final ModelStore store;
    private final Jobs jobs;
    private final PrintStream accessLog;
    private final Path tmp;
    private final byte[] tokenHash;
    private volatile boolean closing;
    private Javalin app;

    /**
     * @param accessLog where the access log's JSON lines go (null: nowhere)
     */
    public Server(ServeConfig config, PrintStream accessLog) {
        this.config = config;
        this.accessLog = accessLog;
        this.store = new ModelStore(config, metrics);
        this.jobs = new Jobs(config, metrics);
        org.explain4j.onnx.grad.SessionCache cache = org.explain4j.onnx.grad.SessionCache.global();
        cache.budget(config.sessionBytes());
        metrics.gauge("explain4j_session_cache_bytes", "estimated bytes of the compiled backward sessions held",
                cache::heldBytes);
        metrics.gauge("explain4j_session_cache_sessions", "compiled backward sessions held", cache::size);
        this.tokenHash = config.token() == null ? null : sha256(config.token());
        try {
            this.tmp = Files.createTempDirectory("explain4j-serve");
        } catch (IOException e) {
            throw Explain4jException.file("--models", "cannot create a temporary folder: " + e.getMessage());
        }
    }

    /** Starts listening; returns this. */
    public Server start() {
        app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.http.defaultContentType = "application/json";
            if (Server.class.getResource("/web/") != null || Server.class.getResource("/web/index.html") != null) {
                c.staticFiles.add(sf -> {
                    sf.hostedPath = "/";
                    sf.directory = "/web";
                    sf.location = Location.CLASSPATH;
                });
            }
            // Jetty caches header lines per connection and matches them case-insensitively by default,
            // so "Bearer abC" after "Bearer abc" on one connection would read as the cached "Bearer abc":
            // a token that differs only in case would pass, the right one after a wrong one fail.
            c.jetty.modifyHttpConfiguration(h -> h.setHeaderCacheCaseSensitive(true));
            c.jetty.host = config.host();
            c.jetty.port = config.port();
            c.jetty.threadPool = requestThreads();
            routes(c.routes);
        });
        app.start();
        return this;
    }

    /**
     * Jetty's request threads, with the stack of {@link org.explain4j.core.NativeThreads}: they call ONNX
     * Runtime themselves (a {@code :predict}'s forward pass, a model's first load), and on Jetty's
     * default stack ONNX Runtime died with SIGSEGV, taking the service with it, once the process's
     * command line held a few kilobytes (a long {@code -cp}: 8,000 characters crashed the first
     * {@code :predict}). A quarter of that stack (64 MiB: 16 MiB ran at 60,000 characters), since up to
     * 250 of these threads reserve it at once (16 GiB of address space, not 62 GiB: hosts that count
     * reserved stacks, {@code vm.overcommit_memory=2} or a {@code ulimit -v}, refuse fewer threads).
     * Javalin's own sizes otherwise: 8 to 250 threads, idle ones stopped after 60 s.
     */
    static final long REQUEST_STACK_BYTES = org.explain4j.core.NativeThreads.STACK_BYTES / 4;

    static org.eclipse.jetty.util.thread.QueuedThreadPool requestThreads() {
        // numbered (explain4j-http-1, -2, ...): a thread dump or a log line tells the request threads apart
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        org.eclipse.jetty.util.thread.QueuedThreadPool pool = new org.eclipse.jetty.util.thread.QueuedThreadPool(
                250, 8, 60_000, -1, null, null,
                r -> new Thread(null, r, "explain4j-http-" + made.incrementAndGet(), REQUEST_STACK_BYTES));
        pool.setName("JettyServerThreadPool");
        return pool;
    }

    /** The port listened on. */
    public int port() {
        return app.port();
    }

    private static final String ROUTE = "explain4j.route";
    /** Set when a before handler has already sent the answer (an oversized body): the endpoint does not run. */
    private static final String ANSWERED = "explain4j.answered";

    private void routes(io.javalin.config.RoutesConfig routes) {
        Routes r = new Routes(routes);
        r.before(this::before);
        r.after(this::after);
        r.get("/healthz", ctx -> ctx.json(JSON.createObjectNode().put("status", "ok")));
        r.get("/readyz", this::ready);
        r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        r.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi()));
        r.get("/v1/models", this::models);
        r.get("/v1/models/{m}", this::model);
        r.post("/v1/models/{m}", this::modelAction);
        r.get("/v1/methods", ctx -> ctx.contentType("application/json").result(CatalogJson.write()));
        r.get("/v1/metrics", ctx -> ctx.contentType("application/json").result(MetricJson.catalogue(MetricCatalog.all())));
        r.post("/v1/jobs", this::postJob);
        r.get("/v1/jobs/{id}", ctx -> send(ctx, 200, jobs.get(ctx.pathParam("id")).describe()));
        r.get("/v1/jobs/{id}/result.json", this::jobResult);
        r.get("/v1/jobs/{id}/result.npy", this::jobNpy);
        r.get("/v1/jobs/{id}/report.html", this::jobReport);
        r.delete("/v1/jobs/{id}", this::deleteJob);
        r.exception(ApiException.class, (e, ctx) -> error(ctx, e));
        r.exception(Explain4jException.class, (e, ctx) -> error(ctx, ApiException.of(e)));
        r.exception(JsonProcessingException.class, (e, ctx) -> error(ctx, new ApiException(400, "malformed_json", "body",
                "the body is not valid JSON: " + ApiException.oneLine(e.getOriginalMessage()))));
        r.exception(HttpResponseException.class, (e, ctx) -> error(ctx, switch (e.getStatus()) {
            case 413 -> new ApiException(413, "too_large", "body", "the body is over " + config.maxBodyBytes()
                    + " bytes (--max-body)");
            case 404 -> ApiException.notFound("path", "no route " + ctx.method() + " " + ctx.path()
                    + " (GET /openapi.json lists the routes)");
            case 405 -> new ApiException(405, "method_not_allowed", "method", ctx.method() + " is not allowed on "
                    + ctx.path());
            default -> new ApiException(e.getStatus(), "http", null, ApiException.oneLine(e.getMessage()));
        }));
        r.exception(Exception.class, (e, ctx) -> error(ctx, new ApiException(500, "internal", null,
                "internal error: " + ApiException.oneLine(String.valueOf(e)))));
        r.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, ApiException.notFound("path", "no route " + ctx.method() + " " + ctx.path()
                        + " (GET /openapi.json lists the routes)"));
            }
        });
        r.error(405, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, new ApiException(405, "method_not_allowed", "method", ctx.method() + " is not allowed on "
                        + ctx.path()));
            }
        });
    }

    /** Registers handlers that record their route (for metrics and the access log). */
    private record Routes(io.javalin.config.RoutesConfig r) {
        void get(String path, io.javalin.http.Handler h) {
            r.get(path, tagged(path, h));
        }

        void post(String path, io.javalin.http.Handler h) {
            r.post(path, tagged(path, h));
        }

        void delete(String path, io.javalin.http.Handler h) {
            r.delete(path, tagged(path, h));
        }

        void before(io.javalin.http.Handler h) {
            r.before(h);
        }

        void after(io.javalin.http.Handler h) {
            r.after(h);
        }

        <E extends Exception> void exception(Class<E> type, io.javalin.http.ExceptionHandler<? super E> h) {
            r.exception(type, h);
        }

        void error(int status, io.javalin.http.Handler h) {
            r.error(status, h);
        }

        private static io.javalin.http.Handler tagged(String path, io.javalin.http.Handler h) {
            return ctx -> {
                ctx.attribute(ROUTE, path);
                if (ctx.attribute(ANSWERED) == null) {
                    h.handle(ctx);
                }
            };
        }
    }

    private void before(Context ctx) {
        ctx.attribute(START, System.nanoTime());
        String path = ctx.path();
        boolean api = path.startsWith("/v1/") || path.equals("/v1") || path.equals("/metrics");
        if (closing && api) {
            ctx.header("Retry-After", "5");
            throw new ApiException(503, "shutting_down", null, "the server is shutting down");
        }
        if (api && tokenHash != null) {
            String h = ctx.header("Authorization");
            String given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : "";
            if (!MessageDigest.isEqual(sha256(given), tokenHash)) {
                ctx.header("WWW-Authenticate", "Bearer");
                throw new ApiException(401, "unauthorized", "Authorization", "this server needs "
                        + "'Authorization: Bearer TOKEN' with its token");
            }
        }
        long len = ctx.req().getContentLengthLong();
        if (len > config.maxBodyBytes()) {
            // read (and drop) a body of moderate size first, so that the client, still sending it, reads
            // the answer instead of a broken pipe; a larger one gets the answer and a closed connection
            if (len <= DRAIN_LIMIT) {
                try {
                    ctx.req().getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException e) {
                    // the client went away
                }
            } else {
                // too long to drain first: answer now, then read on for a while so the client reads it
                ApiException e = new ApiException(413, "too_large", "body", "the body is " + len + " bytes, over the "
                        + "limit of " + config.maxBodyBytes() + " (--max-body); the connection is closed");
                try {
                    answerAndLinger(ctx, ctx.req().getInputStream(), new byte[8192], e);
                } catch (IOException x) {
                    // the client went away
                }
                ctx.attribute(ANSWERED, true); // the endpoint is skipped; the after handlers log the request
                return;
            }
            throw new ApiException(413, "too_large", "body", "the body is " + len + " bytes, over the limit of "
                    + config.maxBodyBytes() + " (--max-body)");
        }
    }

    private void after(Context ctx) {
        Object t0 = ctx.attribute(START);
        long nanos = t0 instanceof Long l ? System.nanoTime() - l : 0;
        Object matched = ctx.attribute(ROUTE);
        String route = matched == null ? "unmatched" : matched.toString();
        if (route.equals("/v1/models/{m}") && ctx.method().name().equals("POST")) {
            String m = ctx.pathParamMap().getOrDefault("m", "");
            route = m.endsWith(":explain") ? "/v1/models/{m}:explain" : m.endsWith(":predict") ? "/v1/models/{m}:predict"
                    : m.endsWith(":evaluate") ? "/v1/models/{m}:evaluate" : route;
        }
        metrics.request(ctx.method().name(), route, ctx.statusCode(), nanos);
        if (accessLog != null) {
            ObjectNode l = JSON.createObjectNode();
            l.put("time", Instant.now().toString());
            l.put("remote", ctx.ip());
            l.put("method", ctx.method().name());
            l.put("path", ctx.path());
            l.put("route", route);
            l.put("status", ctx.statusCode());
            l.put("ms", nanos / 1e6);
            l.put("bytes_in", Math.max(0, ctx.req().getContentLengthLong()));
            accessLog.println(l.toString());
        }
    }

    private void ready(Context ctx) {
        if (closing) {
            send(ctx, 503, JSON.createObjectNode().put("status", "shutting down"));
            return;
        }
        int n = store.rescan().size();
        send(ctx, 200, JSON.createObjectNode().put("status", "ready").put("models", n));
    }

    private void models(Context ctx) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode list = o.putArray("models");
        for (String name : store.rescan()) {
            try (ModelStore.Lease l = store.acquire(name)) {
                list.add(l.served().describe());
            } catch (RuntimeException e) {
                ObjectNode bad = list.addObject();
                bad.put("name", name);
                bad.put("ready", false);
                bad.put("error", e instanceof Explain4jException x ? ApiException.oneLine(x.getMessage())
                        : ApiException.oneLine(String.valueOf(e)));
            }
        }
        send(ctx, 200, o);
    }

    private void model(Context ctx) {
        String m = ctx.pathParam("m");
        if (m.contains(":")) {
            throw new ApiException(405, "method_not_allowed", "method", "POST " + ctx.path() + ", not GET");
        }
        try (ModelStore.Lease l = store.acquire(m)) {
            send(ctx, 200, l.served().describe());
        }
    }

    private void modelAction(Context ctx) throws IOException {
        String m = ctx.pathParam("m");
        int colon = m.lastIndexOf(':');
        String verb = colon < 0 ? "" : m.substring(colon + 1);
        String name = colon < 0 ? m : m.substring(0, colon);
        if (!verb.equals("predict") && !verb.equals("explain") && !verb.equals("evaluate")) {
            throw ApiException.notFound("path", "no route POST " + ctx.path() + "; POST /v1/models/{m}:predict, "
                    + "/v1/models/{m}:explain or /v1/models/{m}:evaluate");
        }
        JsonNode body = body(ctx);
        if (body == null) {
            return; // answered while reading
        }
        if (verb.equals("predict")) {
            try (ModelStore.Lease l = store.acquire(name)) {
                List<Instances.Instance> in = Instances.parse(body, l.served(), config.maxInstances(), tmp);
                ObjectNode o = JSON.createObjectNode();
                o.set("predictions", Explanations.predictions(l.served(), in));
                send(ctx, 200, o);
            }
            return;
        }
        if (verb.equals("evaluate")) {
            sync(ctx, body, () -> submitEvaluation(name, body), "evaluation");
            return;
        }
        sync(ctx, body, () -> submit(name, body), "explanation");
    }

    /** Runs a job and waits for it up to the request's timeout (default: the job deadline). */
    private void sync(Context ctx, JsonNode body, java.util.function.Supplier<Jobs.Job> submit, String what) {
        JsonNode p = body.path("parameters");
        double timeout = config.jobDeadline().toMillis() / 1000.0;
        if (p.has("timeout") && !p.get("timeout").isNull()) {
            if (!p.get("timeout").isNumber() || !(p.get("timeout").asDouble() > 0)) {
                throw ApiException.badRequest("timeout", "timeout must be a positive number of seconds");
            }
            timeout = p.get("timeout").asDouble();
        }
        boolean keep = p.path("keepJob").asBoolean(false);
        Jobs.Job job = submit.get();
        try (ClientWatch client = ClientWatch.of(ctx)) {
            boolean over = false;
            // saturating: a timeout of 3e10 s (3e19 ns) waits as long as the job deadline lets it, never overflows
            long limit = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos((long) Math.ceil(timeout * 1000));
            long start = System.nanoTime();
            // waits in slices and looks at the connection between them: Jetty does not report a client
            // that closes while this handler waits (ClientWatch)
            for (long left = limit; !over && left > 0; left = limit - (System.nanoTime() - start)) {
                over = job.await(Math.min(WATCH_MILLIS, (left + 999_999) / 1_000_000));
                if (!over && client.left()) {
                    clientLeft(ctx, job, keep, what);
                    return;
                }
            }
            if (!over) {
                ObjectNode e = errorBody(new ApiException(504, "timeout", "timeout", "the " + what + " took longer than "
                        + "the timeout of " + timeout + " s" + (keep ? "; it keeps running as job " + job.id
                        : "; it was cancelled (set keepJob to keep it running as a job)")));
                if (keep) {
                    e.put("job", "/v1/jobs/" + job.id);
                    ctx.header("Location", "/v1/jobs/" + job.id);
                } else {
                    job.cancel();
                    jobs.forget(job);
                }
                send(ctx, 504, e);
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.cancel();
            throw new ApiException(503, "shutting_down", null, "the server is shutting down");
        }
        if (!keep) {
            jobs.forget(job);
        }
        answer(ctx, job);
    }

    /**
     * The client of a synchronous request closed its connection while its job ran: the job is cancelled and
     * forgotten (or, with {@code keepJob}, left running under /v1/jobs/ID), and the request thread stops
     * waiting. The answer (499, the status proxies log for a client that closed its request) reaches no
     * one; it is there for the access log and the metrics.
     */
    private void clientLeft(Context ctx, Jobs.Job job, boolean keep, String what) {
        if (!keep) {
            job.cancel();
            jobs.forget(job);
        }
        send(ctx, 499, errorBody(new ApiException(499, "client_closed", null, "the client closed its connection "
                + "before the " + what + " was done; " + (keep ? "it keeps running as job " + job.id
                : "it was cancelled"))));
    }

    /** A finished job's answer: its response, or its error. */
    private void answer(Context ctx, Jobs.Job job) {
        switch (job.state()) {
            case done -> send(ctx, 200, job.result().response());
            case failed -> error(ctx, job.error());
            case cancelled -> error(ctx, closing ? new ApiException(503, "shutting_down", null, "the server is shutting "
                    + "down; the explanation was stopped", 5)
                    : new ApiException(409, "cancelled", "job", "job " + job.id + " was cancelled"));
            default -> error(ctx, new ApiException(409, "not_ready", "job", "job " + job.id + " is " + job.state()
                    + "; GET /v1/jobs/" + job.id + " until it is done"));
        }
    }

    private Jobs.Job submit(String name, JsonNode body) {
        ModelStore.Lease lease = store.acquire(name);
        try {
            ModelStore.Served s = lease.served();
            List<Instances.Instance> in = Instances.parse(body, s, config.maxInstances(), tmp);
            Explanations.Request req = Explanations.Request.of(body);
            // refuse bad parameters, and budgets whose memory would not fit, now, not in the job
            // every instance: texts (and inputs with open dimensions) differ in size, so the first one
            // alone does not bound the job
            for (Instances.Instance x : in) {
                Params bound = Explanations.bind(req, s, x); // with a text instance's references and groups
                JobMemory.check(req.method(), bound, x.explained(), 1, config.jobMemory());
            }
            return jobs.submit(name, job -> run(job, s, in, req), lease);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    private Jobs.Job submitEvaluation(String name, JsonNode body) {
        ModelStore.Lease lease = store.acquire(name);
        try {
            ModelStore.Served s = lease.served();
            List<Instances.Instance> in = Instances.parse(body, s, config.maxInstances(), tmp);
            Evaluations.Request req = Evaluations.parse(body, s, in, config.jobMemory()); // refuse bad parameters now, not in the job
            return jobs.submit(name, Jobs.Kind.evaluate, job -> Evaluations.run(req, s, job), lease);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    private Jobs.Result run(Jobs.Job job, ModelStore.Served s, List<Instances.Instance> in, Explanations.Request req) {
        ArrayNode preds = JSON.createArrayNode();
        ArrayNode expl = JSON.createArrayNode();
        List<Tensor> inputs = new ArrayList<>();
        List<Attribution> results = new ArrayList<>();
        for (Instances.Instance x : in) {
            job.check();
            Tensor output = Explanations.forward(s, x);
            preds.add(Explanations.prediction(s, output));
            metrics.evaluations(1);
            long mark = job.done();
            Attribution a = Explanations.explain(req, s, x, output, job); // no target: output's top class
            job.account(a.diagnostics().modelEvaluations(), mark);
            expl.add(Explanations.explanation(a, s, x, req)); // text instances add tokens and words
            inputs.add(x.explained());
            results.add(a);
        }
        ObjectNode o = JSON.createObjectNode();
        o.set("predictions", preds);
        o.set("explanations", expl);
        return new Jobs.Result(o, inputs, results);
    }

    private void postJob(Context ctx) throws IOException {
        JsonNode body = body(ctx);
        if (body == null) {
            return; // answered while reading
        }
        JsonNode m = body.get("model");
        if (m == null || !m.isTextual()) {
            throw ApiException.badRequest("model", "the job body needs \"model\": the name of a model (GET /v1/models)");
        }
        Jobs.Job job = switch (kind(body)) {
            case evaluate -> submitEvaluation(m.asText(), body);
            case explain -> submit(m.asText(), body);
        };
        ctx.header("Location", "/v1/jobs/" + job.id);
        send(ctx, 202, JSON.createObjectNode().put("id", job.id).put("state", job.state().name()));
    }

    /**
     * A job body's {@code "kind"}: {@code "explain"} (the default: the {@code :explain} body) or
     * {@code "evaluate"} (the {@code :evaluate} body). A metric without the kind is refused rather than
     * guessed, so that a misspelt kind never runs the other computation.
     */
    static Jobs.Kind kind(JsonNode body) {
        JsonNode k = body.get("kind");
        if (k == null || k.isNull()) {
            if (body.path("parameters").has("metric")) {
                throw ApiException.badRequest("kind", "the job body names a metric: add \"kind\": \"evaluate\" to "
                        + "score attributions (the :evaluate body), or drop parameters.metric to explain");
            }
            return Jobs.Kind.explain;
        }
        if (k.isTextual()) {
            for (Jobs.Kind x : Jobs.Kind.values()) {
                if (x.name().equals(k.asText())) {
                    return x;
                }
            }
        }
        throw ApiException.badRequest("kind", "kind " + k + " must be \"explain\" (the :explain body) or "
                + "\"evaluate\" (the :evaluate body)");
    }

    private Jobs.Result doneResult(Jobs.Job job) {
        Jobs.Result r = job.result();
        if (job.state() != Jobs.State.done || r == null) {
            if (job.state() == Jobs.State.failed) {
                throw job.error();
            }
            throw new ApiException(409, "not_ready", "job", "job " + job.id + " is " + job.state()
                    + (job.state() == Jobs.State.cancelled ? "" : "; GET /v1/jobs/" + job.id + " until it is done"));
        }
        return r;
    }

    private void jobResult(Context ctx) {
        send(ctx, 200, doneResult(jobs.get(ctx.pathParam("id"))).response());
    }

    private void jobNpy(Context ctx) throws IOException {
        Jobs.Result r = doneResult(jobs.get(ctx.pathParam("id")));
        String k = ctx.queryParam("instance");
        if (r.isEvaluation()) {
            // an evaluation's scores, all instances at once: (N,), (N, K) or (1,) as "shape" says
            if (k != null) {
                throw ApiException.badRequest("instance", "an evaluation's result.npy holds every instance's scores "
                        + "(shape " + Tensor.shapeString(r.scores().shape()) + "); drop ?instance");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(r.scores(), out);
            ctx.contentType("application/octet-stream").header("Content-Disposition", "attachment; filename=\"scores.npy\"")
                    .result(out.toByteArray());
            return;
        }
        int i;
        try {
            i = k == null ? 0 : Integer.parseInt(k);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("instance", "instance '" + k + "' must be an instance index");
        }
        if (i < 0 || i >= r.attributions().size()) {
            throw ApiException.badRequest("instance", "instance " + i + " is out of range: the job has "
                    + r.attributions().size() + " instances (0.." + (r.attributions().size() - 1) + ")");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(r.attributions().get(i), out);
        ctx.contentType("application/octet-stream").header("Content-Disposition", "attachment; filename=\"attribution-"
                + i + ".npy\"").result(out.toByteArray());
    }

    private void jobReport(Context ctx) {
        Jobs.Job job = jobs.get(ctx.pathParam("id"));
        Jobs.Result r = doneResult(job);
        if (r.isEvaluation()) {
            throw ApiException.notFound("report", "job " + job.id + " is an evaluation: it has no report (its scores are "
                    + "GET /v1/jobs/" + job.id + "/result.json and result.npy)");
        }
        ctx.contentType("text/html; charset=utf-8").result(Report.html(job, r));
    }

    private void deleteJob(Context ctx) throws InterruptedException {
        Jobs.Job job = jobs.get(ctx.pathParam("id"));
        job.cancel();
        job.await(1000);
        ObjectNode o = job.describe();
        o.put("state", Jobs.State.cancelled.name());
        send(ctx, 200, o);
    }

    /**
     * The request's JSON object, or null when the body was over {@code --max-body} and the 413 has
     * already been sent (the caller then returns).
     */
    private JsonNode body(Context ctx) throws IOException {
        byte[] b = readBody(ctx);
        if (b == null) {
            return null;
        }
        if (b.length == 0) {
            throw new ApiException(400, "malformed_json", "body", "the body is empty; send a JSON object");
        }
        JsonNode n = JSON.readTree(b);
        if (n == null || !n.isObject()) {
            throw new ApiException(400, "malformed_json", "body", "the body must be a JSON object");
        }
        return n;
    }

    /**
     * Reads the body up to {@code --max-body}. Javalin's own bounded read throws as soon as a body
     * without {@code Content-Length} (chunked) passes the limit, leaving the rest unread: the client,
     * still sending, then often sees the connection reset instead of the 413. Here an oversized body
     * is read on and dropped up to {@link #DRAIN_LIMIT} in all; a body that ends by then gets the 413
     * on a connection that stays open. A longer one gets the 413 sent and flushed at once with
     * {@code Connection: close}, and is drained for up to {@link #LINGER_MILLIS} more so that the
     * client can read the answer before the connection closes.
     *
     * @return the body, or null when the 413 has been sent
     */
    private byte[] readBody(Context ctx) throws IOException {
        long limit = config.maxBodyBytes();
        InputStream in = ctx.req().getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        long total = 0;
        for (int n; (n = in.read(buf)) != -1; ) {
            total += n;
            if (total > limit) {
                refuseOversized(ctx, in, buf, total);
                return null;
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** How long an oversized body that will not end is still read after its 413 was sent. */
    static final long LINGER_MILLIS = 2000;

    /** How often a synchronous request looks whether its client is still connected (ms). */
    static final long WATCH_MILLIS = 200;

    private void refuseOversized(Context ctx, InputStream in, byte[] buf, long read) throws IOException {
        long total = read;
        boolean ended = false;
        try {
            for (int n; !ended && total <= DRAIN_LIMIT; ) {
                n = in.read(buf);
                ended = n == -1;
                total += Math.max(0, n);
            }
        } catch (IOException e) {
            return; // the client went away: nobody reads an answer
        }
        ApiException e = new ApiException(413, "too_large", "body", "the body is over the limit of "
                + config.maxBodyBytes() + " bytes (--max-body)" + (ended ? "" : "; the connection is closed"));
        if (ended) {
            throw e;
        }
        answerAndLinger(ctx, in, buf, e);
    }

    /**
     * Sends {@code e} at once (flushed, {@code Connection: close}) and reads and drops the rest of the
     * body for up to {@link #LINGER_MILLIS}, so that a client still sending reads the answer before
     * the connection closes (closing with unread bytes resets it).
     */
    private static void answerAndLinger(Context ctx, InputStream in, byte[] buf, ApiException e) throws IOException {
        jakarta.servlet.http.HttpServletResponse res = ctx.res();
        byte[] answer = errorBody(e).toString().getBytes(StandardCharsets.UTF_8);
        ctx.status(413); // for the access log and the metrics
        res.setStatus(413);
        res.setContentType("application/json");
        res.setHeader("Connection", "close");
        res.setContentLength(answer.length);
        res.getOutputStream().write(answer);
        res.flushBuffer();
        long until = System.nanoTime() + LINGER_MILLIS * 1_000_000;
        try {
            while (System.nanoTime() < until && in.read(buf) != -1) {
                // dropped while the client reads the answer
            }
        } catch (IOException x) {
            // the client stopped sending
        }
    }

    static ObjectNode errorBody(ApiException e) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode err = o.putObject("error");
        err.put("code", e.code());
        err.put("message", e.getMessage());
        if (e.argument() == null) {
            err.putNull("argument");
        } else {
            err.put("argument", e.argument());
        }
        return o;
    }

    private static void error(Context ctx, ApiException e) {
        if (e.retryAfter() != null) {
            ctx.header("Retry-After", Integer.toString(e.retryAfter()));
        }
        send(ctx, e.status(), errorBody(e));
    }

    private static void send(Context ctx, int status, JsonNode body) {
        if (ctx.res().isCommitted()) {
            return; // already answered (an oversized body's 413, sent while it was still arriving)
        }
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    private static String openApi() throws IOException {
        try (InputStream in = Server.class.getResourceAsStream("openapi.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops taking work (503), lets jobs finish for {@code grace}, cancels the rest, then stops listening. */
    public void stop(Duration grace) {
        closing = true;
        jobs.shutdown(grace);
        if (app != null) {
            app.stop();
        }
        store.close();
        try (var s = Files.list(tmp)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            // the temporary folder stays
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    ModelStore store() {
        return store;
    }

    Jobs jobs() {
        return jobs;
    }
}
