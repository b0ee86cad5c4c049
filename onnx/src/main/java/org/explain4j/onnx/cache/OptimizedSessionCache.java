package org.explain4j.onnx.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ONNX Runtime's optimised form of a derived backward model, kept in the derived cache beside the
 * backward graph. The first session of a graph is created with the requested optimisation level
 * and ONNX Runtime writes the graph it ends up running ({@code setOptimizedModelFilePath}); the
 * caller strips from it the weights that the model's shared native copy holds and the large
 * all-zero constants (both restored at session creation without bytes on disk), and stores the
 * rest here. Later processes create the session from that graph with optimisations off, which
 * skips ONNX Runtime's graph transformers and constant folding.
 *
 * <p>The optimised graph may hold blocked-layout nodes chosen for this CPU, so the key names the
 * CPU (model name and feature flags), the optimisation level and the device besides the backward
 * graph's own key. This class only stores and finds payloads; what a payload is and whether it
 * can be used is decided by the caller, which falls back to the usual session on any doubt.
 */
public final class OptimizedSessionCache {
    /** Bumped when the payload's meaning changes (what is stripped and how it is marked). */
    static final int FORMAT = 2;
    private static final AtomicLong HITS = new AtomicLong();
    private static final AtomicLong STORES = new AtomicLong();
    private static volatile String cpu;

    private OptimizedSessionCache() {
    }

    /**
     * The entry key of the optimised form of the backward graph stored under {@code graphKey},
     * for sessions made with {@code level} on {@code device}; null when {@code graphKey} is null,
     * the cache is off, or its optimised part is ({@link CacheSettings#optimised()}).
     */
    public static String key(String graphKey, String level, String device) {
        if (graphKey == null || !CacheSettings.optimised()) {
            return null;
        }
        return "ort-optimized/" + FORMAT + "\n" + BackwardGraphCache.versions() + "\ncpu " + cpu() + "\nlevel " + level
                + "\ndevice " + device + "\n" + graphKey;
    }

    /** The stored payload under {@code key} (checksum verified), or empty. */
    public static Optional<byte[]> get(String key) {
        if (key == null) {
            return Optional.empty();
        }
        return CacheSettings.derived().flatMap(c -> c.get(key));
    }

    /** Stores {@code payload} under {@code key}; failures only cost the next process the optimisation. */
    public static void put(String key, byte[] payload) {
        if (key == null) {
            return;
        }
        CacheSettings.derived().ifPresent(c -> {
            c.put(key, payload);
            STORES.incrementAndGet();
        });
    }

    /**
     * A new temporary file in the cache folder for ONNX Runtime to write an optimised graph to
     * (deleted by the caller; stale ones go with the cache's other temporary files); empty when
     * the cache is off or its folder cannot be written.
     */
    public static Optional<Path> temporaryFile() {
        Optional<DiskCache> cache = CacheSettings.derived();
        if (cache.isEmpty()) {
            return Optional.empty();
        }
        try {
            Files.createDirectories(cache.get().dir());
            return Optional.of(cache.get().dir().resolve("tmp-ort-" + UUID.randomUUID() + ".part"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Counts a session created from a stored optimised graph. */
    public static void hit() {
        HITS.incrementAndGet();
    }

    /** Sessions created from a stored optimised graph in this process (diagnostics and tests). */
    public static long hits() {
        return HITS.get();
    }

    /** Optimised graphs stored by this process (diagnostics and tests). */
    public static long stores() {
        return STORES.get();
    }

    /** A digest of the CPU's model name and feature flags (Linux), else of the architecture and core count. */
    static String cpu() {
        String c = cpu;
        if (c == null) {
            StringBuilder sb = new StringBuilder(System.getProperty("os.arch"));
            boolean flags = false;
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                    if (line.startsWith("model name") || line.startsWith("flags") || line.startsWith("Features")
                            || line.startsWith("CPU part")) {
                        sb.append('|').append(line.trim());
                        flags |= line.startsWith("flags") || line.startsWith("Features");
                    }
                    if (flags && line.isBlank()) {
                        break; // the first processor's block is enough
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
