package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.explain4j.core.Tensor;

/**
 * The values of a hoisted switched session's lower part ({@link LayerSwitchGraph#hoist}) from its
 * last computing pass, for the passes after it: a pass whose switches below the cut are all off
 * and whose inputs (everything but the seed and the switches) equal those of the pass that
 * computed the values feeds them instead of computing them again. MPRT's top-down cascade explains
 * the same input with the lower layers unchanged for its first copies; smooth-mprt's noisy inputs
 * differ per column and so are never served from another column's values.
 *
 * <p>The values stay in the {@link OrtSession.Result} of the pass that computed them, owned by
 * this object: closed when replaced or when the session is closed, once no pass reads them.
 * Thread-safe (copies explained at once share the session).
 */
final class HoistCache {
    private final LayerSwitchGraph.Hoisted plan;
    /** Per level (as {@code plan.levels()}): its cached values, or null. Guarded by this. */
    private final Entry[] entries;
    private boolean closed;
    /** Passes served from the cache in this process (test hook). */
    private static final AtomicInteger SERVED = new AtomicInteger();
    /** Passes that computed (and offered) a hoisted part in this process (test hook). */
    private static final AtomicInteger COMPUTED = new AtomicInteger();
    /** Pass results kept by a cache and not yet closed, in this process (test hook). */
    private static final AtomicInteger HELD = new AtomicInteger();

    HoistCache(LayerSwitchGraph.Hoisted plan) {
        this.plan = plan;
        this.entries = new Entry[plan.levels().size()];
    }

    /** Passes served from a cache in this process (test hook). */
    static int served() {
        return SERVED.get();
    }

    /** Passes that computed a hoisted part with the switches below its cut off, in this process (test hook). */
    static int computed() {
        return COMPUTED.get();
    }

    /** Pass results kept by a cache and not yet closed, in this process (test hook). */
    static int held() {
        return HELD.get();
    }

    /** Closes a kept result that no entry holds and no pass reads any more. */
    private static void release(Held h) {
        HELD.decrementAndGet();
        h.result.close();
    }

    /** A pass's result, read by the entries that hold it and the passes that read it; closed when none does. Guarded by the cache. */
    private static final class Held {
        final OrtSession.Result result;
        int refs;

        Held(OrtSession.Result result) {
            this.result = result;
        }
    }

    private record Entry(Map<String, Tensor> key, Held held) {
    }

    /** One pass on the session: what it fed, and what to do with its result. */
    final class Pass {
        private final Held used;
        private final Map<String, Tensor> key;
        /** Levels whose values this pass computes (switches below their cut off, no matching entry). */
        private final List<Integer> store;

        private Pass(Held used, Map<String, Tensor> key, List<Integer> store) {
            this.used = used;
            this.key = key;
            this.store = store;
        }

        /**
         * After the run: keeps {@code r} as the cache of the levels whose values this pass computed
         * (the caller must then not close {@code r}); whether it was kept. Every boundary value of
         * such a level is a graph output, computed or itself fed from a higher level's cache.
         */
        boolean keep(OrtSession.Result r) {
            if (store.isEmpty()) {
                return false;
            }
            Held h = new Held(r);
            List<Held> dropped = new java.util.ArrayList<>();
            boolean kept;
            synchronized (HoistCache.this) {
                if (closed) {
                    return false;
                }
                for (int l : store) {
                    Entry old = entries[l];
                    if (old != null && old.key().equals(key)) {
                        continue; // a pass at the same time computed the same values first
                    }
                    entries[l] = new Entry(key, h);
                    h.refs++;
                    if (old != null && --old.held().refs == 0) {
                        dropped.add(old.held());
                    }
                }
                // read under the lock: another pass's keep may replace these entries (and close r)
                // as soon as it is released
                kept = h.refs > 0;
                if (kept) {
                    HELD.incrementAndGet();
                }
            }
            dropped.forEach(HoistCache::release);
            return kept;
        }

        /** Ends the pass: the values it read may be closed now. */
        void end() {
            if (used == null) {
                return;
            }
            boolean close;
            synchronized (HoistCache.this) {
                close = --used.refs == 0;
            }
            if (close) {
                release(used);
            }
        }
    }

    /**
     * Adds the hoist's inputs to a pass's {@code inputs}: for the highest level whose switches are
     * off and whose cached key equals {@code key}, the flag on and its cached values; for every other
     * level the flag off and empty placeholders (made into {@code created}, closed by the caller).
     * {@code switches} are the pass's switch inputs; {@code key} its other inputs but the seed.
     */
    Pass begin(OrtEnvironment env, Map<String, Boolean> switches, Map<String, Tensor> key,
               Map<String, OnnxTensor> inputs, List<OnnxTensor> created) throws OrtException {
        List<LayerSwitchGraph.Level> levels = plan.levels();
        int lowestOn = Integer.MAX_VALUE;
        for (Map.Entry<String, Boolean> e : switches.entrySet()) {
            if (e.getValue()) {
                lowestOn = Math.min(lowestOn, Integer.parseInt(e.getKey().substring(e.getKey().lastIndexOf('_') + 1)));
            }
        }
        int served = -1;
        Held used = null;
        List<Integer> store = new java.util.ArrayList<>();
        synchronized (this) {
            for (int l = levels.size() - 1; l >= 0; l--) {
                if (levels.get(l).cut() > lowestOn) {
                    continue; // a switch below the cut is on
                }
                Entry e = entries[l];
                if (served < 0 && e != null && !closed && e.key().equals(key)) {
                    served = l;
                    used = e.held();
                    used.refs++;
                } else if (e == null || !e.key().equals(key)) {
                    store.add(l);
                }
            }
        }
        try {
            feed(env, levels, served, used, inputs, created);
        } catch (OrtException | RuntimeException e) {
            // no Pass reaches the caller, so its end() will not run: give the reference back here
            if (used != null) {
                new Pass(used, key, List.of()).end();
            }
            throw e;
        }
        if (served >= 0) {
            SERVED.incrementAndGet();
            org.explain4j.core.Timeline.mark("hoist: served below layer " + levels.get(served).cut());
        }
        if (!store.isEmpty()) {
            COMPUTED.incrementAndGet();
            org.explain4j.core.Timeline.mark("hoist: computed");
        }
        return new Pass(used, Map.copyOf(key), store);
    }

    /** The flags, the served level's values and the other levels' placeholders into {@code inputs}. */
    private static void feed(OrtEnvironment env, List<LayerSwitchGraph.Level> levels, int served, Held used,
                             Map<String, OnnxTensor> inputs, List<OnnxTensor> created) throws OrtException {
        for (int l = 0; l < levels.size(); l++) {
            LayerSwitchGraph.Level level = levels.get(l);
            inputs.put(LayerSwitchGraph.cachedName(level.cut()), track(OnnxTensor.createTensor(env, l == served), created));
            for (Map.Entry<String, Integer> b : level.boundary().entrySet()) {
                String name = LayerSwitchGraph.cacheInput(level.cut(), b.getKey());
                if (l == served) {
                    OnnxValue v = used.result.get(b.getKey())
                            .orElseThrow(() -> new IllegalStateException("hoisted value missing: " + b.getKey()));
                    inputs.put(name, (OnnxTensor) v);
                } else {
                    inputs.put(name, track(empty(env, b.getValue()), created));
                }
            }
        }
    }

    private static OnnxTensor track(OnnxTensor t, List<OnnxTensor> created) {
        created.add(t);
        return t;
    }

    /** A tensor of no elements of ONNX element type {@code type} (an unread cache input). */
    private static OnnxTensor empty(OrtEnvironment env, int type) throws OrtException {
        OnnxJavaType j = switch (type) {
            case DataType.FLOAT_VALUE -> OnnxJavaType.FLOAT;
            case DataType.DOUBLE_VALUE -> OnnxJavaType.DOUBLE;
            case DataType.INT64_VALUE -> OnnxJavaType.INT64;
            case DataType.INT32_VALUE -> OnnxJavaType.INT32;
            case DataType.BOOL_VALUE -> OnnxJavaType.BOOL;
            case DataType.UINT8_VALUE -> OnnxJavaType.UINT8;
            case DataType.INT8_VALUE -> OnnxJavaType.INT8;
            default -> throw new IllegalStateException("no cache input of element type " + type);
        };
        return OnnxTensor.createTensor(env, ByteBuffer.allocateDirect(0), new long[] {0}, j);
    }

    /** Closes the cached values (once no pass reads them); later passes compute their own. */
    void close() {
        List<Held> dropped = new java.util.ArrayList<>();
        synchronized (this) {
            closed = true;
            for (int l = 0; l < entries.length; l++) {
                if (entries[l] != null && --entries[l].held().refs == 0) {
                    dropped.add(entries[l].held());
                }
                entries[l] = null;
            }
        }
        dropped.forEach(HoistCache::release);
    }
}
