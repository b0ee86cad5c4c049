package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real server on loopback over a temporary models folder holding the digits example (copied),
 * and a real HTTP client whose every JSON answer is checked against the OpenAPI document.
 */
final class TestServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    final Path models;
    final Server server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final OpenApiValidator openApi;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();
    String token;

    /** The example folder of the repository (fails when missing). */
    static Path digits() {
        Path d = Path.of(System.getProperty("user.dir")).resolve("../examples/digits").normalize();
        assertThat(d.resolve("digits_cnn.onnx")).as("the digits example model").exists();
        return d;
    }

    static Path modelsFolder(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.copy(digits().resolve("digits_cnn.onnx"), dir.resolve("digits_cnn.onnx"));
        Files.copy(digits().resolve("digits_cnn.json"), dir.resolve("digits_cnn.json"));
        return dir;
    }

    TestServer(ServeConfig config) throws IOException {
        this.models = config.models();
        this.token = config.token();
        this.server = new Server(config.withPort(0), new PrintStream(log, true, StandardCharsets.UTF_8)).start();
        try (var in = Server.class.getResourceAsStream("openapi.json")) {
            this.openApi = new OpenApiValidator(JSON.readTree(in));
        }
    }

    static TestServer over(Path tmp) throws IOException {
        return new TestServer(ServeConfig.defaults(modelsFolder(tmp.resolve("models"))));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** An answer: status, headers, body bytes and (for JSON) the parsed body. */
    record Reply(int status, java.net.http.HttpHeaders headers, byte[] bytes, JsonNode json) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        String code() {
            return json.path("error").path("code").asText();
        }
    }

    Reply get(String path) {
        return send("GET", path, null);
    }

    Reply delete(String path) {
        return send("DELETE", path, null);
    }

    Reply post(String path, Object body) {
        return send("POST", path, body instanceof String s ? s : JSON.valueToTree(body).toString());
    }

    Reply send(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return exchange(method, path, b.build());
    }

    Reply exchange(String method, String path, HttpRequest req) {
        HttpResponse<byte[]> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        String ct = r.headers().firstValue("Content-Type").orElse("");
        JsonNode json = null;
        if (ct.startsWith("application/json")) {
            try {
                json = JSON.readTree(r.body());
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + new String(r.body(), StandardCharsets.UTF_8), e);
            }
        }
        String p = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        List<String> problems = openApi.check(method, p, r.statusCode(), ct, json);
        assertThat(problems).as(method + " " + path + " -> " + r.statusCode() + " " + (json == null ? "" : json))
                .isEmpty();
        return new Reply(r.statusCode(), r.headers(), r.body(), json);
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(2));
    }
}
