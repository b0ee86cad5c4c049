package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metric jobs ({@code POST /v1/jobs} with {@code "kind": "evaluate"}) over real HTTP: the same scores as
 * the synchronous {@code :evaluate}, bit for bit; cancellation within a second; and metric budgets in the
 * per-job memory estimate.
 */
class ServerMetricJobsTest {
    @TempDir
    static Path tmp;
    static TestServer s;
    static JsonNode explained;
    static final int[] EXAMPLES = {0, 3, 5};

    @BeforeAll
    static void start() throws IOException {
        // one job at a time: a job that did not stop would hold the only worker
        s = new TestServer(ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("models"))).withLimits(16 << 20, 64,
                1, 8, Duration.ofMinutes(5)));
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", ServerApiTest.explainBody("integrated-gradients",
                Map.of("steps", 16), Digits.instance(EXAMPLES[0]), Digits.instance(EXAMPLES[1]),
                Digits.instance(EXAMPLES[2])));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        explained = r.json();
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    /** An :evaluate body over the explained instances with their attributions and targets. */
    static ObjectNode evaluateBody(String metric, Map<String, Object> params) {
        ObjectNode b = TestServer.JSON.createObjectNode();
        ArrayNode in = b.putArray("instances");
        for (int k : EXAMPLES) {
            in.add(Digits.instance(k));
        }
        ArrayNode a = b.putArray("attributions");
        ArrayNode t = TestServer.JSON.createArrayNode();
        for (JsonNode e : explained.get("explanations")) {
            ObjectNode one = a.addObject();
            one.set("shape", e.get("data").get("shape"));
            one.set("attributions", e.get("data").get("attributions"));
            t.add(e.get("data").get("target").asInt());
        }
        ObjectNode p = b.putObject("parameters");
        p.put("metric", metric);
        p.set("target", t);
        params.forEach((k, v) -> p.set(k, TestServer.JSON.valueToTree(v)));
        return b;
    }

    static ObjectNode asJob(ObjectNode evaluate) {
        ObjectNode j = evaluate.deepCopy();
        j.put("model", "digits_cnn");
        j.put("kind", "evaluate");
        return j;
    }

    static JsonNode waitDone(String id) throws InterruptedException {
        long until = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < until) {
            JsonNode j = s.get("/v1/jobs/" + id).json();
            if (!j.get("state").asText().equals("queued") && !j.get("state").asText().equals("running")) {
                return j;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    @Test
    void aMetricJobGivesTheScoresOfTheSynchronousEvaluateBitForBit() throws Exception {
        Map<String, Object> p = Map.of("nr-runs", 20, "subset-size", 8, "seed", 11, "return-aggregate", false);
        TestServer.Reply sync = s.post("/v1/models/digits_cnn:evaluate", evaluateBody("faithfulness-correlation", p));
        assertThat(sync.status()).as(sync.text()).isEqualTo(200);
        ObjectNode job = asJob(evaluateBody("faithfulness-correlation", p));
        // the body is a JobRequest of the document (its evaluation branch), as is an explanation job's
        assertThat(s.openApi.checkSchema("JobRequest", job)).isEmpty();
        ObjectNode explainJob = ServerApiTest.explainBody("saliency", Map.of(), Digits.instance(0));
        explainJob.put("model", "digits_cnn");
        assertThat(s.openApi.checkSchema("JobRequest", explainJob)).isEmpty();
        assertThat(s.openApi.checkSchema("JobRequest", TestServer.JSON.createObjectNode().put("kind", "evaluate")))
                .isNotEmpty();

        TestServer.Reply posted = s.post("/v1/jobs", job);
        assertThat(posted.status()).as(posted.text()).isEqualTo(202);
        String id = posted.json().get("id").asText();
        assertThat(posted.headers().firstValue("Location")).hasValue("/v1/jobs/" + id);
        JsonNode done = waitDone(id);
        assertThat(done.get("state").asText()).isEqualTo("done");
        assertThat(done.get("kind").asText()).isEqualTo("evaluate");
        assertThat(done.get("progress").get("done").asLong()).isEqualTo(sync.json().get("model_evaluations").asLong())
                .isEqualTo(3 + 3 * 20);
        // the same scores as :evaluate, to the last bit (JSON numbers as Jackson writes doubles), and the same answer
        JsonNode scores = done.get("result").get("scores");
        assertThat(scores).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(Double.doubleToRawLongBits(scores.get(i).asDouble()))
                    .isEqualTo(Double.doubleToRawLongBits(sync.json().get("scores").get(i).asDouble()));
        }
        assertThat(done.get("result")).isEqualTo(sync.json());
        assertThat(s.get("/v1/jobs/" + id + "/result.json").json()).isEqualTo(sync.json());
        // .npy: the scores, shape (3,), the values of the JSON
        TestServer.Reply npy = s.get("/v1/jobs/" + id + "/result.npy");
        assertThat(npy.status()).isEqualTo(200);
        Tensor t = Npy.read(new ByteArrayInputStream(npy.bytes()), "scores");
        assertThat(t.shape()).containsExactly(3);
        for (int i = 0; i < 3; i++) {
            assertThat(t.getDouble(i)).isEqualTo(sync.json().get("scores").get(i).asDouble());
        }
        assertThat(s.get("/v1/jobs/" + id + "/result.npy?instance=1").status()).isEqualTo(400);
        TestServer.Reply report = s.get("/v1/jobs/" + id + "/report.html");
        assertThat(report.status()).isEqualTo(404);
        assertThat(report.json().get("error").get("message").asText()).contains("is an evaluation: it has no report");

        // another seed gives other scores through the job too (the seed reaches the metric)
        JsonNode other = waitDone(s.post("/v1/jobs", asJob(evaluateBody("faithfulness-correlation",
                Map.of("nr-runs", 20, "subset-size", 8, "seed", 12, "return-aggregate", false)))).json().get("id").asText());
        assertThat(other.get("result").get("scores")).isNotEqualTo(scores);

        // a curve metric: rows per instance in JSON, (3, 8) in the .npy
        TestServer.Reply curveSync = s.post("/v1/models/digits_cnn:evaluate", evaluateBody("pixel-flipping",
                Map.of("features-in-step", 8)));
        String cid = s.post("/v1/jobs", asJob(evaluateBody("pixel-flipping", Map.of("features-in-step", 8)))).json()
                .get("id").asText();
        JsonNode curve = waitDone(cid);
        assertThat(curve.get("result").get("scores")).isEqualTo(curveSync.json().get("scores"));
        Tensor c = Npy.read(new ByteArrayInputStream(s.get("/v1/jobs/" + cid + "/result.npy").bytes()), "scores");
        assertThat(c.shape()).containsExactly(3, 8);
        assertThat(c.getDouble(2 * 8 + 5)).isEqualTo(curveSync.json().get("scores").get(2).get(5).asDouble());
    }

    @Test
    void aJobBodyNamesItsKind() {
        ObjectNode noKind = asJob(evaluateBody("sparseness", Map.of()));
        noKind.remove("kind");
        TestServer.Reply r = s.post("/v1/jobs", noKind);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").get("argument").asText()).isEqualTo("kind");
        assertThat(r.json().get("error").get("message").asText()).contains("\"kind\": \"evaluate\"");
        ObjectNode bad = asJob(evaluateBody("sparseness", Map.of()));
        bad.put("kind", "score");
        TestServer.Reply b = s.post("/v1/jobs", bad);
        assertThat(b.status()).isEqualTo(400);
        assertThat(b.json().get("error").get("argument").asText()).isEqualTo("kind");
        // an evaluation's errors name their argument as :evaluate's do
        TestServer.Reply unknown = s.post("/v1/jobs", asJob(evaluateBody("no-such-metric", Map.of())));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("error").get("argument").asText()).isEqualTo("metric");
    }

    @Test
    void aLongMetricJobCancelsWithinASecondAndFreesItsWorker() throws Exception {
        // max-sensitivity re-explains a million noisy copies of each instance: hours, in batches
        ObjectNode longJob = asJob(evaluateBody("max-sensitivity", Map.of("nr-samples", 1_000_000, "method", "saliency",
                "seed", 3)));
        TestServer.Reply posted = s.post("/v1/jobs", longJob);
        assertThat(posted.status()).as(posted.text()).isEqualTo(202);
        String id = posted.json().get("id").asText();
        JsonNode j;
        long until = System.nanoTime() + 60_000_000_000L;
        do {
            Thread.sleep(50);
            j = s.get("/v1/jobs/" + id).json();
        } while (j.get("progress").get("done").asLong() < 200 && System.nanoTime() < until);
        assertThat(j.get("state").asText()).isEqualTo("running");
        // progress counts the re-explanations' model evaluations as they are done
        assertThat(j.get("progress").get("done").asLong()).isGreaterThanOrEqualTo(200);
        assertThat((System.nanoTime() - (until - 60_000_000_000L)) / 1e9).as("seconds to 200 evaluations").isLessThan(30.0);
        assertThat(j.get("kind").asText()).isEqualTo("evaluate");
        long planned = j.get("progress").get("planned").asLong();
        long t0 = System.nanoTime();
        TestServer.Reply del = s.delete("/v1/jobs/" + id);
        assertThat(del.status()).isEqualTo(200);
        String state;
        do {
            state = s.get("/v1/jobs/" + id).json().get("state").asText();
        } while (!state.equals("cancelled") && System.nanoTime() - t0 < 5_000_000_000L);
        double took = (System.nanoTime() - t0) / 1e9;
        assertThat(state).isEqualTo("cancelled");
        assertThat(took).as("seconds from DELETE to the job's stop").isLessThan(3.0);
        JsonNode after = s.get("/v1/jobs/" + id).json();
        assertThat(after.has("result")).isFalse();
        assertThat(after.get("progress").get("done").asLong()).isLessThan(Math.max(planned, 3_000_000L));
        assertThat(s.get("/v1/jobs/" + id + "/result.json").status()).isEqualTo(409);
        // the only worker is free: a synchronous evaluation runs at once
        TestServer.Reply next = s.post("/v1/models/digits_cnn:evaluate", evaluateBody("sparseness", Map.of()));
        assertThat(next.status()).as(next.text()).isEqualTo(200);
    }

    @Test
    void anAbsurdMetricBudgetIsRefusedWith413NamingItBeforeAnythingRuns() throws Exception {
        // two billion random subsets of 8 features per instance: hundreds of GiB of index arrays
        TestServer.Reply r = s.post("/v1/models/digits_cnn:evaluate", evaluateBody("faithfulness-correlation",
                Map.of("nr-runs", 2_000_000_000, "subset-size", 8, "seed", 1)));
        assertThat(r.status()).as(r.text()).isEqualTo(413);
        assertThat(r.code()).isEqualTo("too_large");
        assertThat(r.json().get("error").get("argument").asText()).isEqualTo("nr-runs");
        String msg = r.json().get("error").get("message").asText();
        assertThat(msg).startsWith("faithfulness-correlation with nr-runs 2000000000 needs about ")
                .contains("GiB for 3 instances of 64 elements").endsWith("(--job-memory); lower nr-runs");
        // the same through a job: refused at submission, no job made
        TestServer.Reply job = s.post("/v1/jobs", asJob(evaluateBody("faithfulness-correlation",
                Map.of("nr-runs", 2_000_000_000, "subset-size", 8, "seed", 1))));
        assertThat(job.status()).isEqualTo(413);
        assertThat(job.json().get("error").get("message").asText()).isEqualTo(msg);
        // a random-baseline monotonicity correlation keeps an output per step and sample
        TestServer.Reply mono = s.post("/v1/models/digits_cnn:evaluate", evaluateBody("monotonicity-correlation",
                Map.of("nr-samples", 2_000_000_000, "perturb-baseline", "uniform")));
        assertThat(mono.status()).as(mono.text()).isEqualTo(413);
        assertThat(mono.json().get("error").get("argument").asText()).isEqualTo("nr-samples");
        // and the robustness metrics one distance per sample (plus the method's re-explanations)
        TestServer.Reply lip = s.post("/v1/models/digits_cnn:evaluate", evaluateBody("relative-input-stability",
                Map.of("nr-samples", 2_000_000_000, "method", "saliency")));
        assertThat(lip.status()).as(lip.text()).isEqualTo(413);
        assertThat(lip.json().get("error").get("argument").asText()).isEqualTo("nr-samples");
        // ordinary budgets pass and run
        TestServer.Reply ok = s.post("/v1/models/digits_cnn:evaluate", evaluateBody("faithfulness-correlation",
                Map.of("nr-runs", 50, "subset-size", 8, "seed", 1, "return-aggregate", false)));
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        assertThat(ok.json().get("scores")).hasSize(3);
        assertThat(s.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void theMetricEstimateFollowsTheConfiguredLimit() throws Exception {
        // 1 MiB: 20000 runs of 8-feature subsets for 3 instances is about 4.6 MiB, refused; 2000 runs pass
        try (TestServer small = new TestServer(ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("m2")))
                .withJobMemory(1L << 20))) {
            TestServer.Reply r = small.post("/v1/models/digits_cnn:evaluate", evaluateBody("faithfulness-correlation",
                    Map.of("nr-runs", 20_000, "subset-size", 8, "seed", 1)));
            assertThat(r.status()).as(r.text()).isEqualTo(413);
            assertThat(r.json().get("error").get("message").asText()).contains("over the per-job memory limit of 1.0 MiB");
            TestServer.Reply ok = small.post("/v1/models/digits_cnn:evaluate", evaluateBody("faithfulness-correlation",
                    Map.of("nr-runs", 2_000, "subset-size", 8, "seed", 1)));
            assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        }
    }

    @Test
    void aSynchronousEvaluationWhoseClientLeavesIsCancelled() throws Exception {
        byte[] b = evaluateBody("max-sensitivity", Map.of("nr-samples", 1_000_000, "method", "saliency", "seed", 3))
                .toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.net.Socket sock = new java.net.Socket("127.0.0.1", s.server.port());
        sock.getOutputStream().write(("POST /v1/models/digits_cnn:evaluate HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        sock.getOutputStream().write(b);
        sock.getOutputStream().flush();
        Jobs.Job job = null;
        long until = System.nanoTime() + 60_000_000_000L;
        while (job == null && System.nanoTime() < until) {
            job = s.server.jobs().all().stream().filter(x -> x.kind == Jobs.Kind.evaluate
                    && x.state() == Jobs.State.running && x.done() > 0).findFirst().orElse(null);
            Thread.sleep(10);
        }
        assertThat(job).as("the running evaluation").isNotNull();
        sock.close();
        long closed = System.nanoTime();
        while (job.state() != Jobs.State.cancelled && System.nanoTime() - closed < 10_000_000_000L) {
            Thread.sleep(10);
        }
        assertThat(job.state()).isEqualTo(Jobs.State.cancelled);
        assertThat((System.nanoTime() - closed) / 1e9).as("seconds from the close").isLessThan(3.0);
        assertThat(s.server.jobs().all()).doesNotContain(job);
    }
}
