package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.explain4j.cli.Inputs;
import org.explain4j.cli.ModelLoader;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.CatalogJson;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every route over real HTTP on loopback, its answers checked against the library and the OpenAPI document. */
class ServerApiTest {
    @TempDir
    static Path tmp;
    static TestServer s;
    static Path model;

    @BeforeAll
    static void start() throws IOException {
        s = TestServer.over(tmp);
        model = s.models.resolve("digits_cnn.onnx");
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    static ObjectNode explainBody(String method, Map<String, Object> params, ArrayNode... instances) {
        ObjectNode b = TestServer.JSON.createObjectNode();
        ArrayNode in = b.putArray("instances");
        for (ArrayNode i : instances) {
            in.add(i);
        }
        ObjectNode p = b.putObject("parameters");
        p.put("method", method);
        params.forEach((k, v) -> p.set(k, TestServer.JSON.valueToTree(v)));
        return b;
    }

    @Test
    void listsTheModelWithItsCardAndSha() throws IOException {
        TestServer.Reply r = s.get("/v1/models");
        assertThat(r.status()).isEqualTo(200);
        JsonNode m = r.json().get("models").get(0);
        assertThat(r.json().get("models")).hasSize(1);
        assertThat(m.get("name").asText()).isEqualTo("digits_cnn");
        try (ModelLoader.Loaded l = ModelLoader.load(model, 0, null, null)) {
            assertThat(m.get("sha256").asText()).isEqualTo(l.info().sha256());
        }
        assertThat(m.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,1,8,8]");
        assertThat(m.get("outputs").get(0).get("shape").toString()).isEqualTo("[-1,10]");
        assertThat(m.get("card").get("labels").get(7).asText()).isEqualTo("seven");
        assertThat(m.get("card").get("kind").asText()).isEqualTo("image");
        TestServer.Reply one = s.get("/v1/models/digits_cnn");
        assertThat(one.json()).isEqualTo(m);
    }

    @Test
    void catalogueRoutesAnswerTheCommandLinesJson() throws IOException {
        assertThat(s.get("/v1/methods").json()).isEqualTo(TestServer.JSON.readTree(CatalogJson.write()));
        assertThat(s.get("/v1/metrics").json()).isEqualTo(TestServer.JSON.readTree(MetricJson.catalogue(MetricCatalog.all())));
    }

    @Test
    void predictEqualsTheLibrarysForwardPassInTheInstancesOrder() {
        ObjectNode body = TestServer.JSON.createObjectNode();
        body.putArray("instances").add(Digits.instance(5)).add(Digits.instance(2));
        TestServer.Reply r = s.post("/v1/models/digits_cnn:predict", body);
        assertThat(r.status()).isEqualTo(200);
        for (int i = 0; i < 2; i++) {
            int k = i == 0 ? 5 : 2;
            Tensor out = Digits.forward(model, Digits.example(k));
            JsonNode p = r.json().get("predictions").get(i);
            assertThat(Digits.floats(p.get("output"))).containsExactly(out.toFloatArray());
            assertThat(p.get("top").get(0).get("index").asInt()).isEqualTo(k);
            assertThat(p.get("top").get(0).get("label").asText()).isEqualTo(new String[] {"zero", "one", "two", "three",
                    "four", "five", "six", "seven"}[k]);
            double sum = 0;
            for (JsonNode q : p.get("probabilities")) {
                sum += q.asDouble();
            }
            assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @Test
    void explainEqualsTheLibraryForEachInstanceAndTargetsThePredictedClass() {
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", explainBody("integrated-gradients",
                Map.of("steps", 16), Digits.instance(3), Digits.instance(6)));
        assertThat(r.status()).isEqualTo(200);
        for (int i = 0; i < 2; i++) {
            int k = i == 0 ? 3 : 6;
            Attribution a = Digits.reference(model, "integrated-gradients", Map.of("steps", "16"), Digits.example(k),
                    Target.classIndex(k));
            JsonNode e = r.json().get("explanations").get(i);
            assertThat(Digits.floats(e.get("data").get("attributions"))).containsExactly(a.values().toFloatArray());
            assertThat(e.get("data").get("target").asInt()).isEqualTo(k);
            assertThat(e.get("data").get("shape").toString()).isEqualTo("[1,8,8]");
            assertThat(e.get("meta").get("method").asText()).isEqualTo("integrated-gradients");
            assertThat(e.get("meta").get("parameters").get("steps").asInt()).isEqualTo(16);
            assertThat(e.get("meta").get("model_sha256").asText()).isEqualTo(a.provenance().modelSha256());
            assertThat(e.get("data").get("diagnostics").get("model_evaluations").asLong())
                    .isEqualTo(a.diagnostics().modelEvaluations());
        }
    }

    @Test
    void seededMethodsAreBitIdenticalToTheLibraryWithTheSameSeed() {
        for (long seed : new long[] {1, 2}) {
            TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", explainBody("gradient-shap",
                    Map.of("seed", seed, "samples", 8, "target", 4), Digits.instance(4)));
            Attribution a = Digits.reference(model, "gradient-shap", Map.of("seed", Long.toString(seed), "samples", "8"),
                    Digits.example(4), Target.classIndex(4));
            assertThat(Digits.floats(r.json().get("explanations").get(0).get("data").get("attributions")))
                    .containsExactly(a.values().toFloatArray());
            assertThat(r.json().get("explanations").get(0).get("meta").get("seed").asLong()).isEqualTo(seed);
        }
    }

    @Test
    void explainEqualsTheCommandLinesAttributeWithTheSameSeed() {
        Path x = tmp.resolve("x5.npy");
        Npy.write(Digits.example(5), x);
        Path out = tmp.resolve("cli-gradient-shap.npy");
        picocli.CommandLine cli = org.explain4j.cli.Main.commandLine();
        java.io.StringWriter printed = new java.io.StringWriter();
        cli.setOut(new java.io.PrintWriter(printed));
        int code = cli.execute("attribute", "--model", model.toString(), "--input",
                x.toString(), "--method", "gradient-shap", "--samples", "6", "--seed", "3", "--target", "5", "--output",
                out.toString(), "--quiet");
        assertThat(code).isZero();
        assertThat(printed.toString()).contains(out.toString());
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", explainBody("gradient-shap",
                Map.of("samples", 6, "seed", 3, "target", 5), Digits.instance(5)));
        assertThat(Digits.floats(r.json().get("explanations").get(0).get("data").get("attributions")))
                .containsExactly(Npy.read(out).toFloatArray());
    }

    @Test
    void aPngInstanceIsDecodedAsTheCommandLineDoes() throws IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                img.setRGB(x, y, (x * 16) << 16 | (y * 16) << 8 | 40);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", png);
        Path file = tmp.resolve("digit.png");
        Files.write(file, png.toByteArray());
        ObjectNode body = TestServer.JSON.createObjectNode();
        body.putArray("instances").addObject().put("b64", Base64.getEncoder().encodeToString(png.toByteArray()))
                .put("format", "png");
        body.putObject("parameters").put("method", "saliency").put("target", 2);
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", body);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        Tensor x;
        try (ModelLoader.Loaded m = ModelLoader.load(model, 0, null, null)) {
            x = Inputs.read(file, m.signature(), s.server.store().acquire("digits_cnn").served().card.get("preprocessing"));
        }
        Attribution a = Digits.reference(model, "saliency", Map.of(), x, Target.classIndex(2));
        assertThat(Digits.floats(r.json().get("explanations").get(0).get("data").get("attributions")))
                .containsExactly(a.values().toFloatArray());
    }

    @Test
    void anNpyInstanceEqualsTheNestedArray() throws IOException {
        ByteArrayOutputStream npy = new ByteArrayOutputStream();
        Npy.write(Digits.example(1), npy);
        ObjectNode body = TestServer.JSON.createObjectNode();
        body.putArray("instances").addObject().put("b64", Base64.getEncoder().encodeToString(npy.toByteArray()))
                .put("format", "npy");
        body.putObject("parameters").put("method", "saliency");
        TestServer.Reply viaNpy = s.post("/v1/models/digits_cnn:explain", body);
        TestServer.Reply viaJson = s.post("/v1/models/digits_cnn:explain", explainBody("saliency", Map.of(),
                Digits.instance(1)));
        assertThat(viaNpy.json().get("explanations").get(0).get("data").get("attributions"))
                .isEqualTo(viaJson.json().get("explanations").get(0).get("data").get("attributions"));
        assertThat(viaNpy.json().get("explanations").get(0).get("data").get("target").asInt()).isEqualTo(1);
    }

    @Test
    void badRequestsAreOneLineJsonErrorsNamingTheArgument() {
        TestServer.Reply malformed = s.post("/v1/models/digits_cnn:explain", "{\"instances\": [");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.code()).isEqualTo("malformed_json");

        ArrayNode wrongShape = TestServer.JSON.createArrayNode();
        wrongShape.addArray().add(1.0).add(2.0);
        TestServer.Reply shape = s.post("/v1/models/digits_cnn:explain", explainBody("saliency", Map.of(), wrongShape));
        assertThat(shape.status()).isEqualTo(400);
        assertThat(shape.code()).isEqualTo("shape");
        assertThat(shape.json().get("error").get("argument").asText()).isEqualTo("instances[0]");
        assertThat(shape.json().get("error").get("message").asText()).contains("(1, 2)").contains("(1, 8, 8)");

        ArrayNode text = Digits.instance(0);
        ((ArrayNode) text.get(0).get(0)).set(3, TestServer.JSON.getNodeFactory().textNode("x"));
        TestServer.Reply dtype = s.post("/v1/models/digits_cnn:predict", explainBody("saliency", Map.of(), text));
        assertThat(dtype.status()).isEqualTo(400);
        assertThat(dtype.code()).isEqualTo("dtype");

        String nan = explainBody("saliency", Map.of(), Digits.instance(0)).toString().replaceFirst("0\\.0", "NaN");
        TestServer.Reply nonFinite = s.post("/v1/models/digits_cnn:explain", nan);
        assertThat(nonFinite.status()).isEqualTo(400);
        assertThat(nonFinite.code()).isEqualTo("non_finite");

        TestServer.Reply method = s.post("/v1/models/digits_cnn:explain", explainBody("no-such-method", Map.of(),
                Digits.instance(0)));
        assertThat(method.status()).isEqualTo(400);
        assertThat(method.json().get("error").get("argument").asText()).isEqualTo("method");
        assertThat(method.json().get("error").get("message").asText()).contains("unknown method 'no-such-method'")
                .contains("saliency");

        TestServer.Reply param = s.post("/v1/models/digits_cnn:explain", explainBody("saliency", Map.of("steps", 5),
                Digits.instance(0)));
        assertThat(param.status()).isEqualTo(400);
        assertThat(param.json().get("error").get("argument").asText()).isEqualTo("steps");

        TestServer.Reply range = s.post("/v1/models/digits_cnn:explain", explainBody("integrated-gradients",
                Map.of("steps", 0), Digits.instance(0)));
        assertThat(range.status()).isEqualTo(400);
        assertThat(range.json().get("error").get("argument").asText()).isEqualTo("steps");

        TestServer.Reply target = s.post("/v1/models/digits_cnn:explain", explainBody("saliency", Map.of("target", 10),
                Digits.instance(0)));
        assertThat(target.status()).isEqualTo(400);
        assertThat(target.code()).isEqualTo("target");

        TestServer.Reply none = s.post("/v1/models/digits_cnn:predict", "{}");
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.json().get("error").get("argument").asText()).isEqualTo("instances");

        TestServer.Reply file = s.post("/v1/models/digits_cnn:explain", explainBody("integrated-gradients",
                Map.of("baseline", "/etc/passwd.npy"), Digits.instance(0)));
        assertThat(file.status()).isEqualTo(400);
        assertThat(file.json().get("error").get("argument").asText()).isEqualTo("baseline");

        for (TestServer.Reply r : new TestServer.Reply[] {malformed, shape, dtype, nonFinite, method, param, target, none}) {
            assertThat(r.json().get("error").get("message").asText()).doesNotContain("\n");
        }
    }

    @Test
    void unknownModelsRoutesAndEscapesAre404() throws IOException {
        assertThat(s.get("/v1/models/nope").status()).isEqualTo(404);
        assertThat(s.get("/v1/models/nope").code()).isEqualTo("not_found");
        assertThat(s.post("/v1/models/nope:explain", explainBody("saliency", Map.of(), Digits.instance(0))).status())
                .isEqualTo(404);
        assertThat(s.get("/v1/nothing").status()).isEqualTo(404);
        // a model outside the folder, reached by a symbolic link inside it
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.copy(model, outside.resolve("secret.onnx"));
        Files.createSymbolicLink(s.models.resolve("linked.onnx"), outside.resolve("secret.onnx"));
        Files.createSymbolicLink(s.models.resolve("sub"), outside);
        for (String p : new String[] {"/v1/models/linked", "/v1/models/secret", "/v1/models/..%2Foutside%2Fsecret",
                "/v1/models/%2E%2E%2Foutside%2Fsecret", "/v1/models/%2Ftmp%2Fsecret", "/v1/models/..",
                "/v1/models/.%2e"}) {
            TestServer.Reply r = s.get(p);
            assertThat(r.status()).as(p).isIn(400, 404);
        }
        java.util.List<String> names = new java.util.ArrayList<>();
        s.get("/v1/models").json().get("models").forEach(m -> names.add(m.get("name").asText()));
        assertThat(names).containsExactly("digits_cnn");
        // a static file request cannot leave the class path folder either
        assertThat(s.send("GET", "/..%2F..%2Fpom.xml", null).status()).isIn(400, 404);
    }

    @Test
    void oversizedBodiesAndTooManyInstancesAre413() {
        String big = "{\"instances\": [" + "0,".repeat(9 << 20) + "0]}";
        TestServer.Reply r = s.post("/v1/models/digits_cnn:predict", big);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.code()).isEqualTo("too_large");
        ObjectNode many = TestServer.JSON.createObjectNode();
        ArrayNode in = many.putArray("instances");
        for (int i = 0; i < 65; i++) {
            in.add(Digits.instance(0));
        }
        TestServer.Reply m = s.post("/v1/models/digits_cnn:predict", many);
        assertThat(m.status()).isEqualTo(413);
        assertThat(m.json().get("error").get("argument").asText()).isEqualTo("instances");
        assertThat(s.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void jobsRunReportProgressAndGiveJsonNpyAndHtml() throws Exception {
        ObjectNode body = explainBody("integrated-gradients", Map.of("steps", 32), Digits.instance(0), Digits.instance(7));
        body.put("model", "digits_cnn");
        TestServer.Reply started = s.post("/v1/jobs", body);
        assertThat(started.status()).isEqualTo(202);
        String id = started.json().get("id").asText();
        assertThat(started.headers().firstValue("Location")).hasValue("/v1/jobs/" + id);
        JsonNode job = waitFor(id);
        assertThat(job.get("state").asText()).isEqualTo("done");
        assertThat(job.get("progress").get("done").asLong()).isEqualTo(job.get("progress").get("planned").asLong())
                .isGreaterThanOrEqualTo(64); // 32 path points per instance, and the forward passes
        Attribution a = Digits.reference(model, "integrated-gradients", Map.of("steps", "32"), Digits.example(7),
                Target.classIndex(7));
        assertThat(Digits.floats(job.get("result").get("explanations").get(1).get("data").get("attributions")))
                .containsExactly(a.values().toFloatArray());
        assertThat(s.get("/v1/jobs/" + id + "/result.json").json()).isEqualTo(job.get("result"));
        TestServer.Reply npy = s.get("/v1/jobs/" + id + "/result.npy?instance=1");
        assertThat(npy.status()).isEqualTo(200);
        Tensor t = Npy.read(new ByteArrayInputStream(npy.bytes()), "npy");
        assertThat(t.toFloatArray()).containsExactly(a.values().toFloatArray());
        assertThat(s.get("/v1/jobs/" + id + "/result.npy?instance=2").status()).isEqualTo(400);
        TestServer.Reply html = s.get("/v1/jobs/" + id + "/report.html");
        assertThat(html.status()).isEqualTo(200);
        assertThat(html.text()).contains("<html").contains("integrated-gradients").contains(a.provenance().modelSha256());
        assertThat(s.get("/v1/jobs/no-such-job").status()).isEqualTo(404);
    }

    static JsonNode waitFor(String id) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            JsonNode j = s.get("/v1/jobs/" + id).json();
            String st = j.get("state").asText();
            if (!st.equals("queued") && !st.equals("running")) {
                return j;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    @Test
    void deleteCancelsARunningJobWithinASecond() throws Exception {
        ObjectNode body = explainBody("integrated-gradients", Map.of("steps", 300_000, "integration", "riemann_trapezoid", "batch-size", 16),
                Digits.instance(0));
        body.put("model", "digits_cnn");
        String id = s.post("/v1/jobs", body).json().get("id").asText();
        // the first job of a server compiles its session before its first batch: wait for real progress
        long until = System.nanoTime() + 60_000_000_000L;
        while (s.get("/v1/jobs/" + id).json().get("progress").get("done").asLong() == 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        JsonNode before = s.get("/v1/jobs/" + id).json();
        assertThat(before.get("state").asText()).isEqualTo("running");
        assertThat(before.get("progress").get("done").asLong()).isPositive();
        long t0 = System.nanoTime();
        TestServer.Reply d = s.delete("/v1/jobs/" + id);
        assertThat(d.status()).isEqualTo(200);
        assertThat(d.json().get("state").asText()).isEqualTo("cancelled");
        JsonNode j = waitFor(id);
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(1.5);
        assertThat(j.get("state").asText()).isEqualTo("cancelled");
        assertThat(j.has("result")).isFalse();
        assertThat(s.get("/v1/jobs/" + id + "/result.json").status()).isEqualTo(409);
    }

    @Test
    void aSynchronousExplainPastItsTimeoutIs504WithTheJobWhenAsked() throws Exception {
        ObjectNode body = explainBody("integrated-gradients", Map.of("steps", 300_000, "integration", "riemann_trapezoid", "batch-size", 16,
                "timeout", 0.3, "keepJob", true), Digits.instance(0));
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", body);
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.code()).isEqualTo("timeout");
        String job = r.json().get("job").asText();
        assertThat(job).startsWith("/v1/jobs/");
        assertThat(s.get(job).json().get("state").asText()).isIn("running", "queued");
        assertThat(s.delete(job).status()).isEqualTo(200);
        ObjectNode dropped = explainBody("integrated-gradients", Map.of("steps", 300_000, "integration", "riemann_trapezoid", "batch-size", 16,
                "timeout", 0.3), Digits.instance(0));
        TestServer.Reply r2 = s.post("/v1/models/digits_cnn:explain", dropped);
        assertThat(r2.status()).isEqualTo(504);
        assertThat(r2.json().has("job")).isFalse();
    }

    @Test
    void aHugeTimeoutWaitsForTheAnswerInsteadOfOverflowing() {
        // 3e10 s is 3e19 ns: past a long, and wrapped it is negative; the wait must saturate, not end at once with a 504
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain",
                explainBody("saliency", Map.of("timeout", 3e10), Digits.instance(0)));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("explanations").get(0).get("meta").get("method").asText()).isEqualTo("saliency");
    }

    @Test
    void healthReadinessMetricsAndOpenApi() {
        assertThat(s.get("/healthz").json().get("status").asText()).isEqualTo("ok");
        assertThat(s.get("/readyz").json().get("models").asInt()).isEqualTo(1);
        s.post("/v1/models/digits_cnn:explain", explainBody("saliency", Map.of(), Digits.instance(0)));
        String m = s.get("/metrics").text();
        assertThat(m).contains("explain4j_http_requests_seconds_bucket").contains("route=\"/v1/models/{m}:explain\"")
                .contains("explain4j_model_evaluations_total").contains("explain4j_jobs_queued")
                .contains("explain4j_session_cache_bytes");
        JsonNode doc = s.get("/openapi.json").json();
        assertThat(doc.get("openapi").asText()).startsWith("3.");
    }

    @Test
    void everyRouteOfTheOpenApiDocumentExists() {
        ObjectNode body = explainBody("saliency", Map.of(), Digits.instance(0));
        body.put("model", "digits_cnn");
        String id = s.post("/v1/jobs", body).json().get("id").asText();
        for (String[] op : s.openApi.operations()) {
            String path = op[1].replace("{m}", "digits_cnn").replace("{id}", id);
            TestServer.Reply r = s.send(op[0], path, op[0].equals("POST") ? body.toString() : null);
            assertThat(r.status()).as(op[0] + " " + op[1]).isNotIn(404, 405);
        }
    }

    @Test
    void theAccessLogHasOneJsonLinePerRequest() throws IOException {
        s.get("/healthz");
        String[] lines = s.log.toString(StandardCharsets.UTF_8).split("\n");
        JsonNode last = TestServer.JSON.readTree(lines[lines.length - 1]);
        assertThat(last.get("path").asText()).isEqualTo("/healthz");
        assertThat(last.get("status").asInt()).isEqualTo(200);
        assertThat(last.has("ms")).isTrue();
    }

    @Test
    void clientsThatDisconnectMidRequestLeaveTheServerServing() throws Exception {
        for (int i = 0; i < 5; i++) {
            try (java.net.Socket sock = new java.net.Socket("127.0.0.1", s.server.port())) {
                sock.getOutputStream().write(("POST /v1/models/digits_cnn:explain HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"instances\": [[").getBytes(
                        StandardCharsets.US_ASCII));
                sock.getOutputStream().flush();
            }
        }
        // and one that leaves while its explanation runs: the server cancels its job (ServerClientLeavesTest)
        HttpRequest req = HttpRequest.newBuilder(s.uri("/v1/models/digits_cnn:explain"))
                .POST(HttpRequest.BodyPublishers.ofString(explainBody("integrated-gradients", Map.of("steps", 300_000,
                        "integration", "riemann_trapezoid", "batch-size", 16), Digits.instance(0)).toString()))
                .timeout(java.time.Duration.ofMillis(200)).build();
        try {
            s.http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (java.net.http.HttpTimeoutException expected) {
            // the client gave up and closed its connection
        }
        long end = System.nanoTime() + 10_000_000_000L; // (a job still compiling stops at its first check)
        while (System.nanoTime() < end && s.server.jobs().all().stream().anyMatch(j -> j.state() == Jobs.State.running
                || j.state() == Jobs.State.queued)) {
            Thread.sleep(10);
        }
        assertThat(s.server.jobs().all()).as("the abandoned job, cancelled and forgotten")
                .noneMatch(j -> j.state() == Jobs.State.running || j.state() == Jobs.State.queued);
        TestServer.Reply r = s.post("/v1/models/digits_cnn:predict", explainBody("saliency", Map.of(), Digits.instance(2)));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("predictions").get(0).get("top").get(0).get("index").asInt()).isEqualTo(2);
    }
}
