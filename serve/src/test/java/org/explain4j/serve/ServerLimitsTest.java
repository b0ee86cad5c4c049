package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import org.explain4j.cli.ModelLoader;
import org.explain4j.onnx.grad.SessionCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits, authentication, model replacement and shutdown, each on a server configured for it. */
class ServerLimitsTest {
    @TempDir
    Path tmp;

    static ObjectNode longJob() {
        ObjectNode b = ServerApiTest.explainBody("integrated-gradients", Map.of("steps", 300_000, "integration",
                "riemann_trapezoid", "batch-size", 16), Digits.instance(0));
        b.put("model", "digits_cnn");
        return b;
    }

    static JsonNode waitFor(TestServer s, String id) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            JsonNode j = s.get("/v1/jobs/" + id).json();
            String st = j.get("state").asText();
            if (!st.equals("queued") && !st.equals("running")) {
                return j;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    @Test
    void aFullQueueAnswers429WithRetryAfterAndTheServerKeepsServing() throws Exception {
        ServeConfig c = ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m"))).withLimits(16 << 20, 64, 1, 1,
                Duration.ofMinutes(5));
        try (TestServer s = new TestServer(c)) {
            String a = s.post("/v1/jobs", longJob()).json().get("id").asText();
            String b = s.post("/v1/jobs", longJob()).json().get("id").asText();
            TestServer.Reply full = s.post("/v1/jobs", longJob());
            assertThat(full.status()).isEqualTo(429);
            assertThat(full.code()).isEqualTo("queue_full");
            assertThat(full.headers().firstValue("Retry-After")).isPresent();
            TestServer.Reply sync = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody("saliency", Map.of(),
                    Digits.instance(0)));
            assertThat(sync.status()).isEqualTo(429);
            assertThat(s.get("/v1/jobs/" + b).json().get("state").asText()).isEqualTo("queued");
            assertThat(s.delete("/v1/jobs/" + b).json().get("state").asText()).isEqualTo("cancelled");
            assertThat(s.delete("/v1/jobs/" + a).status()).isEqualTo(200);
            assertThat(waitFor(s, a).get("state").asText()).isEqualTo("cancelled");
            TestServer.Reply after = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody("saliency",
                    Map.of(), Digits.instance(3)));
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.json().get("explanations").get(0).get("data").get("target").asInt()).isEqualTo(3);
        }
    }

    @Test
    void aJobPastItsDeadlineFailsWithCodeDeadline() throws Exception {
        ServeConfig c = ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m"))).withLimits(16 << 20, 64, 1, 4,
                Duration.ofMillis(400));
        try (TestServer s = new TestServer(c)) {
            long t0 = System.nanoTime();
            String id = s.post("/v1/jobs", longJob()).json().get("id").asText();
            JsonNode j = waitFor(s, id);
            assertThat(j.get("state").asText()).isEqualTo("failed");
            assertThat(j.get("error").get("code").asText()).isEqualTo("deadline");
            // the deadline is checked between batches; the first batch includes the session's compile
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10.0);
        }
    }

    @Test
    void withATokenEveryApiRouteNeedsItAndHealthDoesNot() throws Exception {
        ServeConfig c = ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m"))).withToken("s3cret-token");
        try (TestServer s = new TestServer(c)) {
            s.token = null;
            TestServer.Reply none = s.get("/v1/models");
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(s.get("/metrics").status()).isEqualTo(401);
            s.token = "s3cret-tokeN";
            assertThat(s.get("/v1/models").status()).isEqualTo(401);
            s.token = "s3cret-token";
            assertThat(s.get("/v1/models").status()).isEqualTo(200);
            // the same connection again: Jetty's header cache must not read a case variant as the cached token
            s.token = "s3cret-tokeN";
            assertThat(s.get("/v1/models").status()).isEqualTo(401);
            s.token = null;
            assertThat(s.get("/healthz").status()).isEqualTo(200);
        }
    }

    @Test
    void aReplacedModelFileIsPickedUpAndInFlightJobsFinishOnTheOldOne() throws Exception {
        Path models = TestServer.modelsFolder(tmp.resolve("m"));
        try (TestServer s = new TestServer(ServeConfig.defaults(models))) {
            String before = s.get("/v1/models/digits_cnn").json().get("sha256").asText();
            ObjectNode body = ServerApiTest.explainBody("integrated-gradients", Map.of("steps", 40_000, "integration",
                    "riemann_trapezoid", "batch-size", 16), Digits.instance(0));
            body.put("model", "digits_cnn");
            String id = s.post("/v1/jobs", body).json().get("id").asText();
            for (int i = 0; i < 400 && s.get("/v1/jobs/" + id).json().get("progress").get("done").asLong() == 0; i++) {
                Thread.sleep(10);
            }
            Path linear = Path.of(System.getProperty("user.dir")).resolve("../fixtures/models/linear.onnx").normalize();
            assertThat(linear).exists();
            Path staged = models.resolve("digits_cnn.onnx.new");
            Files.copy(linear, staged);
            Files.move(staged, models.resolve("digits_cnn.onnx"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            JsonNode now = s.get("/v1/models/digits_cnn").json();
            String sha;
            try (ModelLoader.Loaded l = ModelLoader.load(linear, 0, null, null)) {
                sha = l.info().sha256();
            }
            assertThat(now.get("sha256").asText()).isEqualTo(sha).isNotEqualTo(before);
            JsonNode j = waitFor(s, id);
            assertThat(j.get("state").asText()).isEqualTo("done");
            assertThat(j.get("result").get("explanations").get(0).get("meta").get("model_sha256").asText())
                    .isEqualTo(before);
            TestServer.Reply old = s.post("/v1/models/digits_cnn:predict", ServerApiTest.explainBody("saliency", Map.of(),
                    Digits.instance(0)));
            assertThat(old.status()).isEqualTo(400);
            assertThat(old.code()).isEqualTo("shape");
        }
    }

    @Test
    void shutdownAnswers503ThenCancelsWhatDidNotFinish() throws Exception {
        TestServer s = new TestServer(ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m"))));
        String id = s.post("/v1/jobs", longJob()).json().get("id").asText();
        Jobs.Job job = s.server.jobs().get(id);
        Thread stopper = new Thread(() -> s.server.stop(Duration.ofMillis(1500)));
        stopper.start();
        long until = System.nanoTime() + 1_000_000_000L;
        while (s.get("/readyz").status() != 503 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        TestServer.Reply r = s.get("/v1/models");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.code()).isEqualTo("shutting_down");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(s.get("/readyz").status()).isEqualTo(503);
        stopper.join(20_000);
        long until2 = System.nanoTime() + 30_000_000_000L;
        while (job.state() == Jobs.State.running && System.nanoTime() < until2) {
            Thread.sleep(20); // a job still compiling its session stops at its first check
        }
        assertThat(job.state()).isEqualTo(Jobs.State.cancelled);
    }

    @Test
    void shutdownLetsARunningJobFinishWithinTheGrace() throws Exception {
        TestServer s = new TestServer(ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m"))));
        ObjectNode body = ServerApiTest.explainBody("integrated-gradients", Map.of("steps", 4_000, "integration",
                "riemann_trapezoid", "batch-size", 16), Digits.instance(6));
        body.put("model", "digits_cnn");
        String id = s.post("/v1/jobs", body).json().get("id").asText();
        Jobs.Job job = s.server.jobs().get(id);
        for (int i = 0; i < 400 && job.state() == Jobs.State.queued; i++) {
            Thread.sleep(10);
        }
        s.server.stop(Duration.ofSeconds(60));
        assertThat(job.state()).isEqualTo(Jobs.State.done);
        assertThat(job.result().response().get("explanations").get(0).get("data").get("target").asInt()).isEqualTo(6);
    }

    /** An ONNX model whose input claims {@code dims} per example (a Relu). */
    static void hugeModel(Path file, long... dims) throws IOException {
        int f = ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
        var shape = ai.onnx.proto.OnnxMl.TensorShapeProto.newBuilder()
                .addDim(ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        for (long d : dims) {
            shape.addDim(ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        var type = ai.onnx.proto.OnnxMl.TypeProto.newBuilder().setTensorType(
                ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder().setElemType(f).setShape(shape));
        var g = ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("huge")
                .addInput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName("x").setType(type))
                .addOutput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName("y").setType(type))
                .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Relu").addInput("x").addOutput("y"));
        var m = ai.onnx.proto.OnnxMl.ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build();
        Files.write(file, m.toByteArray());
    }

    @Test
    void aModelDeclaringAHugeInputIsListedWithoutAllocatingIt() throws Exception {
        Path models = TestServer.modelsFolder(tmp.resolve("m"));
        hugeModel(models.resolve("huge.onnx"), 65_536, 65_536);
        hugeModel(models.resolve("overflowing.onnx"), 3_000_000_000L, 3);
        try (TestServer s = new TestServer(ServeConfig.defaults(models))) {
            TestServer.Reply r = s.get("/v1/models/huge");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,65536,65536]");
            TestServer.Reply p = s.post("/v1/models/huge:predict", "{\"instances\": [[[1, 2], [3, 4]]]}");
            assertThat(p.status()).isEqualTo(400);
            assertThat(p.code()).isEqualTo("shape");
            assertThat(r.json().get("outputs").get(0).get("shape").toString()).isEqualTo("[-1,-1]");
            TestServer.Reply o = s.get("/v1/models/overflowing");
            assertThat(o.status()).isEqualTo(422);
            assertThat(o.json().get("error").get("message").asText()).contains("3000000000");
            JsonNode listed = s.get("/v1/models").json().get("models");
            assertThat(listed).hasSize(3);
            assertThat(listed.get(2).get("ready").asBoolean()).isFalse();
            assertThat(listed.get(2).get("error").asText()).contains("3000000000");
            assertThat(s.post("/v1/models/digits_cnn:predict", ServerApiTest.explainBody("saliency", Map.of(),
                    Digits.instance(4))).json().get("predictions").get(0).get("top").get(0).get("index").asInt()).isEqualTo(4);
        }
    }

    @Test
    void theSessionCacheStaysWithinItsBudgetWhenManyInputShapesArrive() throws Exception {
        long budget = 400_000;
        ServeConfig c = ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m"))).withSessionBytes(budget);
        SessionCache cache = SessionCache.global();
        try (TestServer s = new TestServer(c)) {
            long evicted = cache.evictions();
            long rssWarm = 0;
            for (int steps = 1; steps <= 80; steps++) {
                // each step count is a new batch shape of the backward graph: a new compiled session
                TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody(
                        "integrated-gradients", Map.of("steps", steps, "batch-size", steps), Digits.instance(steps % 8)));
                assertThat(r.status()).isEqualTo(200);
                assertThat(cache.heldBytes()).as("after %d shapes", steps).isLessThanOrEqualTo(budget);
                if (steps == 20) {
                    System.gc();
                    rssWarm = Memory.rssBytes();
                }
            }
            System.gc();
            long rssEnd = Memory.rssBytes();
            assertThat(cache.evictions() - evicted).isGreaterThan(50);
            assertThat(rssEnd - rssWarm).as("RSS growth over 60 more shapes").isLessThan(64L << 20);
            String metrics = s.get("/metrics").text();
            assertThat(metrics).contains("explain4j_session_cache_bytes");
        } finally {
            cache.budget(Long.MAX_VALUE);
        }
    }

    @Test
    void aBudgetOverTheJobMemoryLimitIsRefusedNamingItAndTheServerKeepsServing() throws Exception {
        ServeConfig c = ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m"))).withLimits(16 << 20, 64, 1, 4,
                Duration.ofMinutes(5));
        try (TestServer s = new TestServer(c)) {
            // 50 million KernelSHAP coalitions of 64 features: tens of GiB; this used to end the process
            ObjectNode huge = ServerApiTest.explainBody("kernel-shap", Map.of("samples", 50_000_000, "seed", 1),
                    Digits.instance(0));
            TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", huge);
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.code()).isEqualTo("too_large");
            assertThat(r.json().get("error").get("argument").asText()).isEqualTo("samples");
            String msg = r.json().get("error").get("message").asText();
            assertThat(msg).startsWith("kernel-shap with samples 50000000 needs about ").contains("GiB")
                    .contains("(--job-memory); lower samples").doesNotContain("\n");
            huge.put("model", "digits_cnn");
            TestServer.Reply job = s.post("/v1/jobs", huge);
            assertThat(job.status()).isEqualTo(413);
            assertThat(job.json().get("error").get("message").asText()).isEqualTo(msg);
            // the page engineer's other two: Shapley value sampling and LIME with budgets that did not fit 512m
            for (Map.Entry<String, Integer> e : Map.of("shapley-value-sampling", 100_000, "lime", 20_000_000).entrySet()) {
                TestServer.Reply x = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody(e.getKey(),
                        Map.of("samples", e.getValue()), Digits.instance(0)));
                assertThat(x.status()).as(e.getKey()).isEqualTo(413);
                assertThat(x.json().get("error").get("argument").asText()).isEqualTo("samples");
            }
            // the server still serves, and an ordinary KernelSHAP runs
            TestServer.Reply ok = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody("kernel-shap",
                    Map.of("samples", 2000, "seed", 1), Digits.instance(3)));
            assertThat(ok.status()).as(ok.text()).isEqualTo(200);
            assertThat(ok.json().get("explanations").get(0).get("data").get("attributions")).hasSize(64);
            assertThat(ok.json().get("explanations").get(0).get("data").get("target").asInt()).isEqualTo(3);
            assertThat(s.get("/healthz").status()).isEqualTo(200);
        }
        // the limit is the configured one: 1 MiB refuses what the default lets through
        ServeConfig small = ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m2"))).withJobMemory(1L << 20);
        try (TestServer s = new TestServer(small)) {
            TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody("kernel-shap",
                    Map.of("samples", 2000, "seed", 1), Digits.instance(3)));
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.json().get("error").get("message").asText()).contains("over the per-job memory limit of 1.0 MiB");
            assertThat(s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody("kernel-shap",
                    Map.of("samples", 200, "seed", 1), Digits.instance(3))).status()).isEqualTo(200);
        }
    }

    @Test
    void gaussLegendreStepsAreBoundedAndAJobAtTheBoundStopsOnDeleteAndDeadline() throws Exception {
        ServeConfig c = ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m"))).withLimits(16 << 20, 64, 1, 4,
                Duration.ofSeconds(2));
        try (TestServer s = new TestServer(c)) {
            TestServer.Reply over = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody(
                    "integrated-gradients", Map.of("steps", 20_000), Digits.instance(0)));
            assertThat(over.status()).isEqualTo(400);
            assertThat(over.code()).isEqualTo("usage");
            assertThat(over.json().get("error").get("argument").asText()).isEqualTo("steps");
            assertThat(over.json().get("error").get("message").asText()).isEqualTo("steps 20000 is over 10000, the most "
                    + "gausslegendre takes (its nodes cost steps^2 before the first model call); use integration "
                    + "riemann_trapezoid for more");
            TestServer.Reply tooMany = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody(
                    "integrated-gradients", Map.of("steps", 2_000_000, "integration", "riemann_trapezoid"),
                    Digits.instance(0)));
            assertThat(tooMany.status()).isEqualTo(400);
            assertThat(tooMany.json().get("error").get("message").asText()).contains("1000000");
            // at the bound: DELETE stops it within the node computation (seconds) and one batch
            ObjectNode atBound = ServerApiTest.explainBody("integrated-gradients", Map.of("steps", 10_000, "batch-size", 16),
                    Digits.instance(0));
            atBound.put("model", "digits_cnn");
            long t0 = System.nanoTime();
            String id = s.post("/v1/jobs", atBound).json().get("id").asText();
            Thread.sleep(200);
            assertThat(s.delete("/v1/jobs/" + id).status()).isEqualTo(200);
            assertThat(waitFor(s, id).get("state").asText()).isEqualTo("cancelled");
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(20.0);
            // and the 2 s deadline stops another
            long t1 = System.nanoTime();
            String id2 = s.post("/v1/jobs", atBound).json().get("id").asText();
            JsonNode j = waitFor(s, id2);
            double took = (System.nanoTime() - t1) / 1e9;
            if (j.get("state").asText().equals("failed")) {
                assertThat(j.get("error").get("code").asText()).isEqualTo("deadline");
                assertThat(took).isLessThan(20.0);
            } else {
                // a fast machine finishes 10000 steps of the 8x8 model within the deadline
                assertThat(j.get("state").asText()).isEqualTo("done");
                assertThat(took).isLessThan(4.0); // 2 s, one batch past it, the queue and the polling
            }
        }
    }
}
