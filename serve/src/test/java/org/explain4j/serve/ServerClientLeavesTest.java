package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.explain4j.serve.ServerApiTest.explainBody;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A synchronous {@code :explain} whose client closes its connection while the job runs: the job is cancelled
 * and forgotten at once (the worker is free for the next request), unless the request kept its job; a
 * client that stays gets its 504 at the timeout as before.
 */
class ServerClientLeavesTest {
    @TempDir
    static Path tmp;
    static TestServer s;

    @BeforeAll
    static void start() throws IOException {
        s = TestServer.over(tmp);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    @AfterEach
    void noJobLeftRunning() throws InterruptedException {
        s.server.jobs().all().forEach(Jobs.Job::cancel);
        assertThat(waitFor(() -> s.server.jobs().all().stream().noneMatch(j -> j.state() == Jobs.State.running || j.state() == Jobs.State.queued), 20_000))
                .as("jobs stopped after the test").isTrue();
    }

    /** An IG explanation of 300,000 steps: minutes of work on one worker. */
    static JsonNode longExplanation(Map<String, Object> more) {
        Map<String, Object> p = new java.util.HashMap<>(Map.of("steps", 300_000, "integration", "riemann_trapezoid",
                "batch-size", 16));
        p.putAll(more);
        return explainBody("integrated-gradients", p, Digits.instance(0));
    }

    /** Sends a whole synchronous request on a raw socket and reads nothing. */
    static Socket rawPost(String path, JsonNode body) throws IOException {
        byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
        Socket sock = new Socket("127.0.0.1", s.server.port());
        sock.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        sock.getOutputStream().write(b);
        sock.getOutputStream().flush();
        return sock;
    }

    /** The one job that is running (waits for it: the first job of a server compiles its session first). */
    static Jobs.Job runningJob() throws InterruptedException {
        assertThat(waitFor(() -> s.server.jobs().all().stream().anyMatch(j -> j.state() == Jobs.State.running
                && j.done() > 0), 60_000)).as("a running job with progress").isTrue();
        return s.server.jobs().all().stream().filter(j -> j.state() == Jobs.State.running).findFirst().orElseThrow();
    }

    static boolean waitFor(BooleanSupplier c, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    long accessLogLines(String status) {
        return s.log.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("\"route\":\"/v1/models/{m}:explain\"") && l.contains("\"status\":" + status))
                .count();
    }

    @Test
    void aClientThatClosesWhileItsExplanationRunsHasItsJobCancelledAndForgotten() throws Exception {
        long logged = accessLogLines("499");
        Socket sock = rawPost("/v1/models/digits_cnn:explain", longExplanation(Map.of()));
        Jobs.Job job = runningJob();
        Thread.sleep(500); // the connection stays open: the job keeps running
        assertThat(job.state()).isEqualTo(Jobs.State.running);
        long closed = System.nanoTime();
        sock.close();
        assertThat(waitFor(() -> job.state() == Jobs.State.cancelled, 10_000)).as("cancelled").isTrue();
        double seconds = (System.nanoTime() - closed) / 1e9;
        assertThat(seconds).as("seconds from the close to the cancelled job").isLessThan(2.0);
        assertThat(s.server.jobs().all()).doesNotContain(job);
        assertThat(s.get("/v1/jobs/" + job.id).status()).isEqualTo(404);
        assertThat(waitFor(() -> accessLogLines("499") == logged + 1, 5_000)).as("the access log's 499").isTrue();

        // the worker is free: an explanation is served at once (not after the abandoned one)
        long t = System.nanoTime();
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", explainBody("saliency", Map.of(), Digits.instance(2)));
        assertThat(r.status()).isEqualTo(200);
        assertThat((System.nanoTime() - t) / 1e9).isLessThan(10.0);
    }

    @Test
    void aClientThatKeepsItsJobCanLeaveAndFindItRunning() throws Exception {
        Socket sock = rawPost("/v1/models/digits_cnn:explain", longExplanation(Map.of("keepJob", true)));
        Jobs.Job job = runningJob();
        sock.close();
        Thread.sleep(1500);
        assertThat(job.state()).isEqualTo(Jobs.State.running);
        TestServer.Reply r = s.get("/v1/jobs/" + job.id);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("state").asText()).isEqualTo("running");
        long done = r.json().path("progress").path("done").asLong();
        Thread.sleep(300);
        assertThat(s.get("/v1/jobs/" + job.id).json().path("progress").path("done").asLong()).isGreaterThan(done);
        assertThat(s.delete("/v1/jobs/" + job.id).status()).isEqualTo(200);
        assertThat(waitFor(() -> job.state() == Jobs.State.cancelled, 5_000)).isTrue();
    }

    @Test
    void aClientThatStaysGetsItsTimeoutAnswer() throws Exception {
        // five watch slices and more on a connected client: none of them takes it for a leave
        long t = System.nanoTime();
        TestServer.Reply r = s.post("/v1/models/digits_cnn:explain", longExplanation(Map.of("timeout", 1.5)));
        double seconds = (System.nanoTime() - t) / 1e9;
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.code()).isEqualTo("timeout");
        assertThat(seconds).isGreaterThanOrEqualTo(1.5);
        assertThat(accessLogLines("504")).isGreaterThanOrEqualTo(1);
    }
}
