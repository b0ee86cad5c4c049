package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.explain4j.cli.Main;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code explain4j serve} in a real {@code java} process whose command line holds 60,000
 * characters (as a long {@code -cp} does): the first {@code :predict} runs ONNX Runtime on one of
 * Jetty's request threads, which died with SIGSEGV (exit 139) on Jetty's default stack and took the
 * service with it. The request threads now have {@code NativeThreads}' stack.
 */
class ServeLongCommandLineTest {
    @TempDir
    Path tmp;

    @Test
    void predict_onAServiceStartedWithALongCommandLine_answersAndTheServiceLives() throws Exception {
        Path models = TestServer.modelsFolder(tmp.resolve("models"));
        String java = ProcessHandle.current().info().command().orElse("java");
        String padding = "x".repeat(60_000);
        Process p = new ProcessBuilder(List.of(java, "-Xmx512m", "-Dexplain4j.cache=off", "-Dexplain4j.padding=" + padding,
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--models", models.toString(), "--port", "0"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        // a service that hangs instead of printing its start line is stopped, so the reads below end
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }, "serve-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as("the service's start line").isNotNull().contains("listening on");
            Matcher m = Pattern.compile("http://[^/]+:(\\d+)/").matcher(line);
            assertThat(m.find()).as(line).isTrue();
            int port = Integer.parseInt(m.group(1));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            String body = "{\"instances\": [" + Digits.instance(3) + "]}";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/v1/models/digits_cnn:predict")).timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("answer: %s", r.body()).isEqualTo(200);
            JsonNode output = TestServer.JSON.readTree(r.body()).get("predictions").get(0).get("output");
            Tensor want = Digits.forward(TestServer.digits().resolve("digits_cnn.onnx"), Digits.example(3));
            assertThat(output.size()).isEqualTo(want.exampleSize());
            for (int i = 0; i < output.size(); i++) {
                assertThat(output.get(i).asDouble()).as("logit %d", i).isCloseTo(want.getDouble(i), org.assertj.core.data.Offset.offset(1e-5));
            }
            assertThat(p.isAlive()).as("the service still runs (exit 139: SIGSEGV)").isTrue();
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
