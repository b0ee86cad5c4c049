package org.explain4j.serve;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The service's settings and limits (each a {@code serve} flag, see docs/SERVE.md).
 *
 * @param models         the folder of {@code *.onnx} models (and their cards)
 * @param host           the address to listen on
 * @param port           the port (0: any free one)
 * @param token          the bearer token every {@code /v1} and {@code /metrics} request must carry, or null
 * @param maxBodyBytes   largest request body
 * @param maxInstances   most instances in one request
 * @param maxJobs        jobs (explanations) running at once
 * @param queueLength    jobs waiting beyond those; a full queue answers 429 with Retry-After
 * @param jobDeadline    longest a job may run before it is cancelled (failed with code deadline)
 * @param sessionBytes   budget of the compiled backward sessions held by the process (an LRU over all models)
 * @param threads        ONNX Runtime intra-op threads per session (0: its default)
 * @param jobRetention   how long a finished job's results are kept
 * @param jobMemory      most bytes a job's method (or metric re-explanation) is estimated to hold; larger ones are refused
 */
public record ServeConfig(Path models, String host, int port, String token, long maxBodyBytes, int maxInstances,
                          int maxJobs, int queueLength, Duration jobDeadline, long sessionBytes, int threads,
                          Duration jobRetention, long jobMemory) {
    /** The default per-job memory limit: a quarter of the JVM's maximum heap. */
    public static long defaultJobMemory() {
        return Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4);
    }

    /** The defaults for a models folder, on loopback. */
    public static ServeConfig defaults(Path models) {
        return new ServeConfig(models, "127.0.0.1", 8080, null, 16L << 20, 64, Math.max(1,
                Runtime.getRuntime().availableProcessors() / 2), 64, Duration.ofMinutes(10), 512L << 20, 0,
                Duration.ofMinutes(30), defaultJobMemory());
    }

    public ServeConfig withPort(int p) {
        return new ServeConfig(models, host, p, token, maxBodyBytes, maxInstances, maxJobs, queueLength, jobDeadline,
                sessionBytes, threads, jobRetention, jobMemory);
    }

    public ServeConfig withToken(String t) {
        return new ServeConfig(models, host, port, t, maxBodyBytes, maxInstances, maxJobs, queueLength, jobDeadline,
                sessionBytes, threads, jobRetention, jobMemory);
    }

    public ServeConfig withLimits(long body, int instances, int jobs, int queue, Duration deadline) {
        return new ServeConfig(models, host, port, token, body, instances, jobs, queue, deadline, sessionBytes, threads,
                jobRetention, jobMemory);
    }

    public ServeConfig withSessionBytes(long bytes) {
        return new ServeConfig(models, host, port, token, maxBodyBytes, maxInstances, maxJobs, queueLength, jobDeadline,
                bytes, threads, jobRetention, jobMemory);
    }

    public ServeConfig withJobMemory(long bytes) {
        return new ServeConfig(models, host, port, token, maxBodyBytes, maxInstances, maxJobs, queueLength, jobDeadline,
                sessionBytes, threads, jobRetention, bytes);
    }
}
