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
    /** Guarded by this. */
    private Entry entry;
    private boolean closed;
    /** Passes served from the cache in this process (test hook). */
    private static final AtomicInteger SERVED = new AtomicInteger();
    /** Passes that computed (and offered) the lower part in this process (test hook). */
    private static final AtomicInteger COMPUTED = new AtomicInteger();

    HoistCache(LayerSwitchGraph.Hoisted plan) {
        this.plan = plan;
    }

    int cut() {
        return plan.cut();
    }

    /** Passes served from a cache in this process (test hook). */
    static int served() {
        return SERVED.get();
    }

    /** Passes that computed the hoisted part with all low switches off in this process (test hook). */
    static int computed() {
        return COMPUTED.get();
    }

    private static final class Entry {
        final Map<String, Tensor> key;
        final OrtSession.Result result;
        int users;
        boolean dropped;

        Entry(Map<String, Tensor> key, OrtSession.Result result) {
            this.key = key;
            this.result = result;
        }
    }

    /** One pass on the session: what it fed, and what to do with its result. */
    final class Pass {
        private final Entry used;
        private final Map<String, Tensor> key;

        private Pass(Entry used, Map<String, Tensor> key) {
            this.used = used;
            this.key = key;
        }

        /** Whether the pass took its lower values from the cache. */
        boolean served() {
            return used != null;
        }

        /**
         * After the run: keeps {@code r} as the cache where this pass computed the values it may
         * serve (the caller must then not close {@code r}); whether it was kept.
         */
        boolean keep(OrtSession.Result r) {
            if (key == null) {
                return false;
            }
            Entry old;
            synchronized (HoistCache.this) {
                if (closed || entry != null && entry.key.equals(key)) {
                    return false; // a pass at the same time computed the same values first
                }
                old = entry;
                entry = new Entry(key, r);
                if (old == null) {
                    return true;
                }
                old.dropped = true;
                if (old.users > 0) {
                    return true;
                }
            }
            old.result.close();
            return true;
        }

        /** Ends the pass: the values it read may be closed now. */
        void end() {
            if (used == null) {
                return;
            }
            boolean close;
            synchronized (HoistCache.this) {
                used.users--;
                close = used.dropped && used.users == 0;
            }
            if (close) {
                used.result.close();
            }
        }
    }

    /**
     * Adds the hoist's inputs to a pass's {@code inputs}: the cached values where they serve it,
     * else the flag off and empty placeholders (made into {@code created}, closed by the caller).
     * {@code switches} are the pass's switch inputs; {@code key} its other inputs but the seed.
     */
    Pass begin(OrtEnvironment env, Map<String, Boolean> switches, Map<String, Tensor> key,
               Map<String, OnnxTensor> inputs, List<OnnxTensor> created) throws OrtException {
        boolean lowOff = true;
        for (int l = 0; l < plan.cut(); l++) {
            lowOff &= !Boolean.TRUE.equals(switches.get(LayerSwitchGraph.switchName(l)));
        }
        if (lowOff) {
            synchronized (this) {
                if (entry != null && !closed && entry.key.equals(key)) {
                    entry.users++;
                    inputs.put(LayerSwitchGraph.CACHED, track(OnnxTensor.createTensor(env, true), created));
                    for (String b : plan.boundary().keySet()) {
                        OnnxValue v = entry.result.get(b).orElseThrow(() -> new IllegalStateException("hoisted value missing: " + b));
                        inputs.put(LayerSwitchGraph.cacheInput(b), (OnnxTensor) v);
                    }
                    SERVED.incrementAndGet();
                    org.explain4j.core.Timeline.mark("hoist: served");
                    return new Pass(entry, null);
                }
            }
            COMPUTED.incrementAndGet();
            org.explain4j.core.Timeline.mark("hoist: computed");
        }
        inputs.put(LayerSwitchGraph.CACHED, track(OnnxTensor.createTensor(env, false), created));
        for (Map.Entry<String, Integer> b : plan.boundary().entrySet()) {
            inputs.put(LayerSwitchGraph.cacheInput(b.getKey()), track(empty(env, b.getValue()), created));
        }
        return new Pass(null, lowOff ? Map.copyOf(key) : null);
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
        Entry old;
        synchronized (this) {
            closed = true;
            old = entry;
            entry = null;
            if (old == null) {
                return;
            }
            old.dropped = true;
            if (old.users > 0) {
                return;
            }
        }
        old.result.close();
    }
}
