package org.explain4j.onnx.cache;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The automatic batch size's estimate of one row's activation bytes (a shape probe of the model at
 * one row), kept in the {@link CacheSettings#derived() derived cache} between processes, so that a
 * later process whose backward graph also comes from the cache runs no probe at all. The key is
 * the caller's (model SHA-256, explained input, row shape, fed inputs' values) plus explain4j's and
 * ONNX Runtime's versions; a payload that is not one positive number is measured again.
 */
public final class RowMemoryCache {
    private static final AtomicLong HITS = new AtomicLong();

    private RowMemoryCache() {
    }

    /** The bytes stored under {@code key}, else {@code measure}'s (then stored); a null key always measures. */
    public static long get(String key, LongSupplier measure) {
        Optional<DiskCache> cache = key == null ? Optional.empty() : CacheSettings.derived();
        if (cache.isEmpty()) {
            return measure.getAsLong();
        }
        String full = "row-memory 1\n" + BackwardGraphCache.versions() + "\n" + key;
        Optional<byte[]> hit = cache.get().get(full);
        if (hit.isPresent() && hit.get().length == Long.BYTES) {
            long v = ByteBuffer.wrap(hit.get()).getLong();
            if (v > 0) {
                HITS.incrementAndGet();
                return v;
            }
        }
        long v = measure.getAsLong();
        if (v > 0) {
            cache.get().put(full, ByteBuffer.allocate(Long.BYTES).putLong(v).array());
        }
        return v;
    }

    /** Estimates taken from the cache in this process (for tests and {@code bench}). */
    public static long hits() {
        return HITS.get();
    }
}
