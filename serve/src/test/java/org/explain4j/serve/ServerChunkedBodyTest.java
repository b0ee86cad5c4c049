package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bodies without {@code Content-Length} ({@code Transfer-Encoding: chunked}) over {@code --max-body},
 * sent by a raw socket: the client reads the 413 JSON error, whether the body ends soon after the limit
 * (the connection stays usable) or never ends (the answer comes, then the connection closes), and the
 * server keeps serving; likewise a declared {@code Content-Length} too long to drain, while it is sent.
 */
class ServerChunkedBodyTest {
    static final int LIMIT = 64 << 10;
    @TempDir
    static Path tmp;
    static TestServer s;

    @BeforeAll
    static void start() throws IOException {
        s = new TestServer(ServeConfig.defaults(TestServer.modelsFolder(tmp.resolve("models"))).withLimits(LIMIT, 64, 1,
                4, Duration.ofMinutes(1)));
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    static byte[] head(String path) {
        return ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    static void chunk(OutputStream out, byte[] data) throws IOException {
        out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** A JSON-ish filler: the server must refuse it for its size, not its syntax. */
    static byte[] filler(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) '0');
        return b;
    }

    /** One HTTP response read from the socket: status, headers (lower-case names), body. */
    record Answer(int status, Map<String, String> headers, byte[] body) {
        JsonNode json() throws IOException {
            return TestServer.JSON.readTree(body);
        }
    }

    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("the connection ended inside the response head: " + head);
            }
            head.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
                    : c == '\r' ? 1 : 0;
        }
        String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> h = new java.util.LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                h.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        int len = Integer.parseInt(h.getOrDefault("content-length", "-1"));
        assertThat(len).as("the 413 has a Content-Length: " + h).isPositive();
        return new Answer(status, h, in.readNBytes(len));
    }

    static void assertTooLarge(Answer a) throws IOException {
        assertThat(a.status()).isEqualTo(413);
        assertThat(a.headers().get("content-type")).startsWith("application/json");
        JsonNode e = a.json().get("error");
        assertThat(e.get("code").asText()).isEqualTo("too_large");
        assertThat(e.get("argument").asText()).isEqualTo("body");
        assertThat(e.get("message").asText()).contains("over the limit of " + LIMIT + " bytes (--max-body)");
    }

    @Test
    void aChunkedBodyJustOverTheLimitGetsThe413AndTheConnectionStaysUsable() throws Exception {
        for (String path : new String[] {"/v1/models/digits_cnn:explain", "/v1/jobs"}) {
            try (Socket sock = new Socket("127.0.0.1", s.server.port())) {
                sock.setSoTimeout(30_000);
                OutputStream out = sock.getOutputStream();
                out.write(head(path));
                chunk(out, "{\"instances\": [".getBytes(StandardCharsets.US_ASCII));
                for (int sent = 0; sent <= LIMIT; sent += 8192) {
                    chunk(out, filler(8192));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Answer a = read(sock.getInputStream());
                assertTooLarge(a);
                assertThat(a.headers().getOrDefault("connection", "")).doesNotContain("close");
                // the same connection serves the next request
                out.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Answer h = read(sock.getInputStream());
                assertThat(h.status()).isEqualTo(200);
                assertThat(h.json().get("status").asText()).isEqualTo("ok");
            }
        }
    }

    @Test
    void aChunkedBodyThatNeverEndsGetsThe413ThenTheConnectionCloses() throws Exception {
        for (int round = 0; round < 3; round++) {
            try (Socket sock = new Socket("127.0.0.1", s.server.port())) {
                sock.setSoTimeout(30_000);
                OutputStream out = sock.getOutputStream();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong sent = new AtomicLong();
                Thread writer = new Thread(() -> {
                    try {
                        out.write(head("/v1/models/digits_cnn:predict"));
                        byte[] data = filler(32 << 10);
                        while (!stop.get()) {
                            chunk(out, data);
                            sent.addAndGet(data.length);
                        }
                    } catch (IOException e) {
                        // the server closed the connection after its answer
                    }
                });
                writer.start();
                Answer a = read(sock.getInputStream());
                stop.set(true);
                assertTooLarge(a);
                assertThat(a.headers().get("connection")).isEqualToIgnoringCase("close");
                assertThat(a.json().get("error").get("message").asText()).endsWith("; the connection is closed");
                // it was answered far over the limit: after the server's drain of 64 MiB
                assertThat(sent.get()).isGreaterThan(Server.DRAIN_LIMIT - (1 << 20));
                writer.join(10_000);
                assertThat(writer.isAlive()).isFalse();
                // and the connection ends (a reset, after the answer was read, is the server closing with the
                // client's last bytes unread)
                try {
                    assertThat(sock.getInputStream().read()).isEqualTo(-1);
                } catch (java.net.SocketException reset) {
                    assertThat(reset.getMessage()).containsIgnoringCase("reset");
                }
            }
        }
        assertThat(s.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void aContentLengthTooLongToDrainGetsThe413WhileStillSending() throws Exception {
        long declared = 4 * Server.DRAIN_LIMIT;
        for (int round = 0; round < 2; round++) {
            try (Socket sock = new Socket("127.0.0.1", s.server.port())) {
                sock.setSoTimeout(30_000);
                OutputStream out = sock.getOutputStream();
                AtomicBoolean stop = new AtomicBoolean();
                Thread writer = new Thread(() -> {
                    try {
                        out.write(("POST /v1/models/digits_cnn:explain HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                + "Content-Type: application/json\r\nContent-Length: " + declared + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        byte[] data = filler(32 << 10);
                        for (long sent = 0; sent < declared && !stop.get(); sent += data.length) {
                            out.write(data);
                        }
                    } catch (IOException e) {
                        // the server closed the connection after its answer
                    }
                });
                writer.start();
                Answer a = read(sock.getInputStream());
                stop.set(true);
                assertThat(a.status()).isEqualTo(413);
                JsonNode e = a.json().get("error");
                assertThat(e.get("code").asText()).isEqualTo("too_large");
                assertThat(e.get("argument").asText()).isEqualTo("body");
                assertThat(e.get("message").asText()).isEqualTo("the body is " + declared + " bytes, over the limit of "
                        + LIMIT + " (--max-body); the connection is closed");
                assertThat(a.headers().get("connection")).isEqualToIgnoringCase("close");
                writer.join(10_000);
                assertThat(writer.isAlive()).isFalse();
            }
        }
        // the server serves, and the access log has both requests with the status they got (a line is written
        // when the server is done with the request, after its linger: the client may have read the answer first)
        assertThat(s.get("/healthz").status()).isEqualTo(200);
        long logged = 0;
        for (long until = System.nanoTime() + 10_000_000_000L; logged < 2 && System.nanoTime() < until; ) {
            Thread.sleep(50);
            logged = 0;
            for (String line : s.log.toString(StandardCharsets.UTF_8).split("\n")) {
                if (!line.endsWith("}")) {
                    continue; // a line being written
                }
                JsonNode l = TestServer.JSON.readTree(line);
                if (l.path("path").asText().equals("/v1/models/digits_cnn:explain") && l.path("status").asInt() == 413
                        && l.path("bytes_in").asLong() == declared) {
                    logged++;
                }
            }
        }
        assertThat(logged).isEqualTo(2);
    }

    @Test
    void theJavaHttpClientSendingAStreamGetsTheDocumented413() {
        // BodyPublishers.ofInputStream has no length: the client sends it chunked
        byte[] body = filler(3 * LIMIT);
        HttpRequest req = HttpRequest.newBuilder(s.uri("/v1/models/digits_cnn:predict")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build();
        TestServer.Reply r = s.exchange("POST", "/v1/models/digits_cnn:predict", req);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.code()).isEqualTo("too_large");
        // an ordinary request right after
        TestServer.Reply ok = s.post("/v1/models/digits_cnn:predict", ServerApiTest.explainBody("saliency", Map.of(),
                Digits.instance(4)));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("predictions").get(0).get("top").get(0).get("index").asInt()).isEqualTo(4);
    }
}
