package org.explain4j.onnx.cache;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ONNX Runtime's optimised form of a derived model, kept in the derived cache: the first session
 * is created with the requested optimisation level and ONNX Runtime writes the graph it ends up
 * running ({@code setOptimizedModelFilePath}); later processes create the session from that graph
 * with optimisations off, which skips the graph transformers and the constant folding (on
 * ResNet-18's backward graph: 1.5 s against 2.7-3.6 s on the loaded development machine, same
 * results bit for bit; docs/BENCHMARKS.md, "Cold start"). The optimised graph may hold blocked-layout
 * nodes chosen for this CPU, so the key names the CPU. An entry ONNX Runtime refuses is ignored
 * and the session is made the usual way.
 */
public final class OptimizedSessionCache {
    static final int FORMAT = 1;
    private static final AtomicLong HITS = new AtomicLong();
    private static volatile String cpu;

    /** Makes the session from options as configured by the caller. */
    @FunctionalInterface
    public interface Factory {
        OrtSession create(OrtSession.SessionOptions so) throws OrtException;
    }

    private OptimizedSessionCache() {
    }

    /**
     * A session for the model that {@code factory} creates, from the cached optimised graph when
     * there is one; {@code so} is configured with {@code level} by the caller. A null key, a
     * disabled cache or {@code NO_OPT} go straight to the factory.
     */
    public static OrtSession create(OrtEnvironment env, String key, OrtSession.SessionOptions so, OptLevel level,
                                    Factory factory) throws OrtException {
        Optional<DiskCache> cache = key == null || level == OptLevel.NO_OPT ? Optional.empty() : CacheSettings.derived();
        if (cache.isEmpty()) {
            return factory.create(so);
        }
        String full = "ort-optimized/" + FORMAT + "\n" + BackwardGraphCache.versions() + "\ncpu " + cpu() + "\nlevel "
                + level + "\n" + key;
        Optional<byte[]> hit = cache.get().get(full);
        if (hit.isPresent()) {
            try {
                so.setOptimizationLevel(OptLevel.NO_OPT);
                OrtSession s = env.createSession(hit.get(), so);
                HITS.incrementAndGet();
                return s;
            } catch (OrtException e) {
                so.setOptimizationLevel(level);
            }
        }
        Path tmp = null;
        try {
            Files.createDirectories(cache.get().dir());
            tmp = cache.get().dir().resolve("tmp-ort-" + UUID.randomUUID() + ".part");
            so.setOptimizedModelFilePath(tmp.toString());
        } catch (IOException e) {
            tmp = null;
        }
        OrtSession s = factory.create(so);
        if (tmp != null) {
            try {
                if (Files.size(tmp) > 0) {
                    cache.get().putFile(full, tmp);
                }
            } catch (IOException e) {
                // not stored; the session is good
            } finally {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // removed with the stale temporary files later
                }
            }
        }
        return s;
    }

    /** Sessions created from a cached optimised graph in this process. */
    public static long hits() {
        return HITS.get();
    }

    /** The CPU's model name and feature flags (Linux), else the architecture and core count. */
    static String cpu() {
        String c = cpu;
        if (c == null) {
            StringBuilder sb = new StringBuilder(System.getProperty("os.arch"));
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                    if (line.startsWith("model name") || line.startsWith("flags") || line.startsWith("Features")) {
                        sb.append('|').append(line.trim());
                        if (sb.indexOf("flags") >= 0 || sb.indexOf("Features") >= 0) {
                            break;
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                sb.append('|').append(Runtime.getRuntime().availableProcessors());
            }
            c = HexFormat.of().formatHex(DiskCache.sha256(sb.toString().getBytes(StandardCharsets.UTF_8)));
            cpu = c;
        }
        return c;
    }
}
