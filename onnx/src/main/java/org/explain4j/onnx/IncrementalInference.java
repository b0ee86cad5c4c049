package org.explain4j.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import org.explain4j.onnx.grad.Attr;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.model.LocalEvaluation;

/**
 * Incremental inference for perturbations confined to a box (occlusion, local feature
 * ablation), after Krypton (Nakandala et al., SIGMOD 2019). The unperturbed example runs once,
 * keeping the activations the cropped graph reads; each perturbed row then computes every layer
 * up to a cut tensor L only on its changed region (a fixed-size crop per tensor, placed per row):
 * a layer's input window is gathered from the kept activation, bordered with the layer's padding
 * value so that borders are exact, with the changed crop of that input written over it; the layer
 * runs without padding on the window. L's crop is written into L's kept map, from which the rest
 * of the network runs on whole maps. L is chosen by a cost model (multiply-adds of cropped layers,
 * weighted for the lower efficiency of small convolutions, against whole ones); where no cut
 * pays, the model is not used and callers run ordinary batches. See docs/NOTES.md, "Incremental
 * occlusion".
 */
final class IncrementalInference implements AutoCloseable {
    /** Cropped layers cost this many times their multiply-adds (small crops run less efficiently). */
    static final double CROP_PENALTY = Double.parseDouble(System.getProperty("explain4j.incremental.penalty", "1.6"));
    /** A cut must save at least this fraction of the prefix cost. */
    static final double MIN_GAIN = 0.1;
    /** Cropped-graph sessions kept (least recently used closed first): each holds the model's weights. */
    static final int MAX_PLANS = 4;
    /** Activation-keeping sessions kept (least recently used closed first): each holds the model's weights. */
    static final int MAX_CACHE_SESSIONS = 4;

    private final ModelProto model;
    private final String inputName;
    private final String outputName;
    private final OrtEnvironment env;
    private final OnnxModel.Options options;
    private final Map<String, RegionGraph> graphs = new HashMap<>();
    /**
     * Plans by key, least recently used first; at most {@link #MAX_PLANS} (guarded by this): each
     * session holds the model's weights, so a long-lived model (the service's) asked for many window
     * sizes would otherwise keep one per size until it is closed.
     */
    private final Map<String, Plan> plans = leastRecentlyUsed(MAX_PLANS, IncrementalInference::retire);
    /** Activation-keeping sessions, least recently used first; at most {@link #MAX_CACHE_SESSIONS}, used only under this lock. */
    private final Map<String, OrtSession> cacheSessions = leastRecentlyUsed(MAX_CACHE_SESSIONS,
            IncrementalInference::closeQuietly);
    /** Keys of cropped graphs ONNX Runtime refused (guarded by this): not compiled again, whole passes at once. */
    private final java.util.Set<String> refused = new java.util.HashSet<>();
    /** Rows evaluated incrementally so far, and the last cut's op index (-1 before any); for tests and benchmarks. */
    long rows;
    int lastCut = -1;
    /** Cropped graphs compiled (or refused) when planned; for tests. */
    int compiles;
    /** For tests: -1 lets the cost model choose; otherwise the deepest cut at most this op index. */
    volatile int forcedCut;

    IncrementalInference(ModelProto model, String inputName, String outputName, OrtEnvironment env,
                         OnnxModel.Options options, int forcedCut) {
        this.model = model;
        this.inputName = inputName;
        this.outputName = outputName;
        this.env = env;
        this.options = options;
        this.forcedCut = forcedCut;
    }

    /** See {@link LocalEvaluation#local}. */
    synchronized LocalEvaluation.Evaluator local(double[] base, int[] exampleShape, int[][] lo, int[][] hi,
                                                 int batchSize) {
        if (exampleShape.length != 3 || opset() < 12) {
            return null; // GatherND's batch_dims needs opset 12
        }
        String key = Arrays.toString(exampleShape);
        RegionGraph g = graphs.computeIfAbsent(key, k -> new RegionGraph(model, inputName, exampleShape));
        List<Integer> cuts = g.cuts();
        if (cuts.isEmpty()) {
            return null;
        }
        // the cut: the cheapest cropped prefix plus whole remainder (within the analysed prefix)
        double total = 0;
        for (int i = 0; i < g.ops.size(); i++) {
            total += g.fullCost(i);
        }
        int best = -1;
        Map<String, int[]> bestSize = null;
        double bestCost = total * (1 - MIN_GAIN);
        double before = 0;
        for (int i = 0; i < g.ops.size(); i++) {
            before += g.fullCost(i);
            if (!cuts.contains(i)) {
                continue;
            }
            Map<String, int[]> size = sizes(g, i, lo, hi);
            double cost = CROP_PENALTY * cropCost(g, i, size) + (total - before);
            if (forcedCut >= 0 ? i <= forcedCut : cost < bestCost) {
                best = i;
                bestCost = cost;
                bestSize = size;
            }
        }
        if (best < 0) {
            return null;
        }
        Plan plan = plan(g, best, bestSize, lo, hi);
        if (plan == null) {
            // ONNX Runtime refuses the cropped graph made from the model's bytes (now or before):
            // whole forward passes, as where no cut pays; a fault of the model itself shows again in
            // those passes, with the usual error
            return null;
        }
        // a failure of the unperturbed example's run is the model's or the caller's: reported
        Map<String, float[]> cache = cache(plan, base, exampleShape);
        lastCut = best;
        return (rows, l, h, filler, consumer) -> evaluate(plan, cache, exampleShape, batchSize, rows, l, h, filler, consumer);
    }

    private int opset() {
        return model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToInt(o -> (int) o.getVersion()).findFirst().orElse(0);
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /** The region of every tensor up to op {@code cut} that changes when the input changes inside the box: {@code [dim][lo, hi)}. */
    static Map<String, int[][]> regions(RegionGraph g, int cut, int[] lo, int[] hi) {
        Map<String, int[][]> r = new HashMap<>();
        r.put(g.input, new int[][] {{lo[0], hi[0]}, {lo[1], hi[1]}});
        for (int i = 0; i <= cut; i++) {
            RegionGraph.Op op = g.ops.get(i);
            RegionGraph.Shape out = g.shapes.get(op.output);
            int[][] res = null;
            for (String in : op.dynamicInputs) {
                int[][] ri = r.get(in);
                if (ri == null) {
                    continue; // an input the box does not reach
                }
                int[][] o = new int[2][];
                for (int d = 0; d < 2; d++) {
                    if (op.kind == RegionGraph.Kind.WINDOW) {
                        int a = Math.max(0, ceilDiv(ri[d][0] + op.pb[d] - op.d[d] * (op.k[d] - 1), op.s[d]));
                        int b = Math.min(out.size(d), Math.floorDiv(ri[d][1] - 1 + op.pb[d], op.s[d]) + 1);
                        o[d] = new int[] {a, b};
                    } else {
                        o[d] = ri[d].clone();
                    }
                }
                res = res == null ? o : new int[][] {{Math.min(res[0][0], o[0][0]), Math.max(res[0][1], o[0][1])},
                        {Math.min(res[1][0], o[1][0]), Math.max(res[1][1], o[1][1])}};
            }
            if (res != null && res[0][0] < res[0][1] && res[1][0] < res[1][1]) {
                r.put(op.output, res);
            }
        }
        return r;
    }

    /** One compiled cut: the graph and what feeding it needs. */
    static final class Plan {
        RegionGraph graph;
        int cut;
        String cutTensor;
        /** Crop size of every tensor up to the cut (the input included), per dimension. */
        Map<String, int[]> size;
        List<Edge> edges;
        Edge splice;
        Map<String, CacheSpec> caches;
        /** The cropped graph's session; null once closed (guarded by this plan). */
        OrtSession session;
        /** Evaluations running on {@link #session} now (guarded by this plan). */
        int inUse;
        /** Dropped from the plans (evicted, or the model closed): the session closes when no evaluation uses it. */
        boolean retired;
    }

    /**
     * The plan's session for one evaluation, made again if the plan was evicted and closed after
     * the evaluator was handed out; give it back with {@link #release}.
     */
    private OrtSession acquire(Plan p) throws OrtException {
        synchronized (p) {
            if (p.session == null) {
                p.session = OnnxModel.createSession(env, croppedModel(p.graph, p).toByteArray(), options);
            }
            p.inUse++;
            return p.session;
        }
    }

    private static void release(Plan p) {
        synchronized (p) {
            p.inUse--;
            if (p.retired && p.inUse == 0) {
                closeSession(p);
            }
        }
    }

    /** Drops a plan: its session is closed now, or by the last evaluation still using it. */
    private static void retire(Plan p) {
        synchronized (p) {
            p.retired = true;
            if (p.inUse == 0) {
                closeSession(p);
            }
        }
    }

    private static void closeSession(Plan p) {
        if (p.session != null) {
            closeQuietly(p.session);
            p.session = null;
        }
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException e) {
            // closing is best effort
        }
    }

    /** A map of at most {@code max} entries in access order; the least recently used one beyond goes to {@code drop}. */
    private static <V> Map<String, V> leastRecentlyUsed(int max, java.util.function.Consumer<V> drop) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                if (size() <= max) {
                    return false;
                }
                drop.accept(eldest.getValue());
                return true;
            }
        };
    }

    /**
     * An input of a cropped op whose window is not exactly its tensor's crop: the window is
     * gathered from the kept activation and the tensor's (changed) crop is placed over it.
     */
    static final class Edge {
        int op;
        int input;
        String tensor;
        int[] n;
        boolean direct;
        boolean masked;
        /** Whether the tensor's crop lies inside the window for every row (then it is scattered over the gathered window). */
        boolean scatter = true;
        /** How far the window leaves the map, most over the rows: top, left, bottom, right. */
        final int[] pad = new int[4];
        float padValue;
        String name;
        String cache;
    }

    /** A kept activation as fed: channels last, bordered by {@code pad} positions of {@code value}. */
    record CacheSpec(String tensor, float value, int[] pad) {
    }

    /** Each row's crop offsets: every tensor's crop starts at its changed region, moved inside the map where it would stick out. */
    static Map<String, int[]> offsets(RegionGraph g, int cut, Map<String, int[]> size, int[] lo, int[] hi) {
        Map<String, int[][]> reg = regions(g, cut, lo, hi);
        Map<String, int[]> o = new HashMap<>();
        for (Map.Entry<String, int[]> e : size.entrySet()) {
            int[][] r = reg.get(e.getKey());
            RegionGraph.Shape sh = g.shapes.get(e.getKey());
            int[] off = new int[2];
            for (int d = 0; d < 2; d++) {
                int start = r == null ? 0 : r[d][0];
                off[d] = Math.max(0, Math.min(start, sh.size(d) - e.getValue()[d]));
            }
            o.put(e.getKey(), off);
        }
        return o;
    }

    /** The window of op {@code op}'s input for a row: start {@code [0..1]} given the op output's offset. */
    static int[] windowStart(RegionGraph.Op op, int[] outOffset) {
        if (op.kind != RegionGraph.Kind.WINDOW) {
            return outOffset.clone();
        }
        return new int[] {outOffset[0] * op.s[0] - op.pb[0], outOffset[1] * op.s[1] - op.pb[1]};
    }

    static int[] windowSize(RegionGraph.Op op, int[] outSize) {
        if (op.kind != RegionGraph.Kind.WINDOW) {
            return outSize.clone();
        }
        int[] n = new int[2];
        for (int d = 0; d < 2; d++) {
            n[d] = (outSize[d] - 1) * op.s[d] + op.d[d] * (op.k[d] - 1) + 1;
        }
        return n;
    }

    /** Crop sizes up to the cut: the largest changed region over the rows (at most the map). */
    static Map<String, int[]> sizes(RegionGraph g, int cut, int[][] lo, int[][] hi) {
        Map<String, int[]> size = new LinkedHashMap<>();
        size.put(g.input, new int[] {1, 1});
        for (int i = 0; i <= cut; i++) {
            size.put(g.ops.get(i).output, new int[] {1, 1});
        }
        for (int r = 0; r < lo.length; r++) {
            Map<String, int[][]> reg = regions(g, cut, lo[r], hi[r]);
            for (Map.Entry<String, int[]> e : size.entrySet()) {
                int[][] rr = reg.get(e.getKey());
                if (rr != null) {
                    e.getValue()[0] = Math.max(e.getValue()[0], rr[0][1] - rr[0][0]);
                    e.getValue()[1] = Math.max(e.getValue()[1], rr[1][1] - rr[1][0]);
                }
            }
        }
        return size;
    }

    /** Multiply-adds of the cropped ops up to the cut, with the gathering and placing of windows. */
    private static double cropCost(RegionGraph g, int cut, Map<String, int[]> size) {
        double cost = 0;
        for (int i = 0; i <= cut; i++) {
            RegionGraph.Op op = g.ops.get(i);
            int[] h = size.get(op.output);
            cost += op.costPerPosition * h[0] * h[1];
            for (String t : op.dynamicInputs) {
                // a window gathered from the kept activation and the crop: a few copies per value
                int[] n = windowSize(op, h);
                cost += 4.0 * g.shapes.get(t).c() * n[0] * n[1];
            }
        }
        RegionGraph.Shape l = g.shapes.get(g.ops.get(cut).output);
        return cost + (double) l.c() * l.h() * l.w() * 4;
    }

    // ---------------------------------------------------------------- the cropped graph

    /** The cut's plan with its compiled session; null where ONNX Runtime refuses the cropped graph (remembered). */
    private Plan plan(RegionGraph g, int cut, Map<String, int[]> size, int[][] lo, int[][] hi) {
        List<Edge> edges = new ArrayList<>();
        for (int i = 0; i <= cut; i++) {
            RegionGraph.Op op = g.ops.get(i);
            for (int j = 0; j < op.node.getInputCount(); j++) {
                String t = op.node.getInput(j);
                if (op.dynamicInputs.contains(t)) {
                    Edge e = new Edge();
                    e.op = i;
                    e.input = j;
                    e.tensor = t;
                    e.n = windowSize(op, size.get(op.output));
                    e.direct = Arrays.equals(e.n, size.get(t));
                    edges.add(e);
                }
            }
        }
        String cutTensor = g.ops.get(cut).output;
        RegionGraph.Shape cs = g.shapes.get(cutTensor);
        Edge splice = new Edge();
        splice.tensor = cutTensor;
        splice.n = new int[] {cs.h(), cs.w()};
        splice.name = "incr/splice";
        for (Edge e : edges) {
            RegionGraph.Op op = g.ops.get(e.op);
            e.padValue = op.kind == RegionGraph.Kind.WINDOW ? op.padValue : 0f;
        }
        List<Edge> all = new ArrayList<>(edges);
        all.add(splice);
        for (int r = 0; r < lo.length; r++) {
            Map<String, int[]> o = offsets(g, cut, size, lo[r], hi[r]);
            for (Edge e : all) {
                int[] q = e == splice ? new int[2] : windowStart(g.ops.get(e.op), o.get(g.ops.get(e.op).output));
                RegionGraph.Shape sh = g.shapes.get(e.tensor);
                int[] ot = o.get(e.tensor);
                int[] ht = size.get(e.tensor);
                if (!Arrays.equals(q, ot)) {
                    e.direct = false;
                }
                e.pad[0] = Math.max(e.pad[0], -q[0]);
                e.pad[1] = Math.max(e.pad[1], -q[1]);
                e.pad[2] = Math.max(e.pad[2], q[0] + e.n[0] - sh.h());
                e.pad[3] = Math.max(e.pad[3], q[1] + e.n[1] - sh.w());
                if (e.pad[0] + e.pad[1] + e.pad[2] + e.pad[3] > 0) {
                    e.masked = true;
                    e.direct = false;
                }
                for (int d = 0; d < 2; d++) {
                    if (ot[d] < q[d] || ot[d] + ht[d] > q[d] + e.n[d]) {
                        e.scatter = false;
                    }
                }
            }
        }
        splice.direct = false;
        // one kept activation per tensor and padding value, bordered as far as any window needs
        Map<String, CacheSpec> caches = new LinkedHashMap<>();
        for (Edge e : all) {
            if (e.direct) {
                continue;
            }
            String k = e.tensor + "|" + e.padValue;
            CacheSpec c = caches.get(k);
            int[] pad = e.pad.clone();
            if (c != null) {
                for (int i = 0; i < 4; i++) {
                    pad[i] = Math.max(pad[i], c.pad()[i]);
                }
            }
            caches.put(k, new CacheSpec(e.tensor, e.padValue, pad));
        }
        int ci = 0;
        Map<String, CacheSpec> named = new LinkedHashMap<>();
        for (Map.Entry<String, CacheSpec> c : caches.entrySet()) {
            String name = "incr/cache" + (ci++);
            named.put(name, c.getValue());
            for (Edge e : all) {
                if (!e.direct && (e.tensor + "|" + e.padValue).equals(c.getKey())) {
                    e.cache = name;
                    // indices into the shared cache go through its (widest) border
                    System.arraycopy(c.getValue().pad(), 0, e.pad, 0, 4);
                }
            }
        }
        RegionGraph.Shape in = g.shapes.get(g.input);
        // the graph is the one of this input shape (graphs are kept per example shape)
        StringBuilder key = new StringBuilder(in.c() + "x" + in.h() + "x" + in.w() + "/" + cut);
        for (int[] v : size.values()) {
            key.append('/').append(v[0]).append('x').append(v[1]);
        }
        for (Edge e : all) {
            key.append(e.direct ? 'd' : e.scatter ? 's' : 'g').append(Arrays.toString(e.pad));
        }
        Plan cached = plans.get(key.toString());
        if (cached != null || refused.contains(key.toString())) {
            return cached;
        }
        if (refused.size() >= 4) {
            // refused for four different windows or borders: a property of the model, not of the
            // window; no more doomed compiles (and the set stays bounded in a long-running service)
            return null;
        }
        Plan p = new Plan();
        p.graph = g;
        p.cut = cut;
        p.cutTensor = cutTensor;
        p.size = size;
        p.edges = edges;
        p.splice = splice;
        p.caches = named;
        ModelProto m = croppedModel(g, p);
        compiles++;
        try {
            p.session = OnnxModel.createSession(env, m.toByteArray(), options);
        } catch (OrtException e) {
            // a graph made from the model's bytes that ONNX Runtime cannot load (a tensor it cannot
            // find there, say): the same cut would be refused again
            refused.add(key.toString());
            return null;
        }
        plans.put(key.toString(), p);
        return p;
    }

    private static String cropName(RegionGraph g, String t) {
        return t.equals(g.input) ? "incr/x" : "incr/crop/" + t;
    }

    private ModelProto croppedModel(RegionGraph g, Plan p) {
        GraphProto og = model.getGraph();
        GraphProto.Builder b = GraphProto.newBuilder().setName(og.getName() + "_incremental");
        b.addAllInitializer(og.getInitializerList());
        b.addAllNode(g.constantNodes);
        int[] xs = p.size.get(g.input);
        b.addInput(floatInput("incr/x", -1, g.shapes.get(g.input).c(), xs[0], xs[1]));
        for (Map.Entry<String, CacheSpec> c : p.caches.entrySet()) {
            RegionGraph.Shape sh = g.shapes.get(c.getValue().tensor());
            int[] pad = c.getValue().pad();
            b.addInput(floatInput(c.getKey(), sh.h() + pad[0] + pad[2], sh.w() + pad[1] + pad[3], sh.c()));
        }
        java.util.Set<String> transposed = new java.util.HashSet<>();
        Map<Integer, Map<Integer, String>> edgeOf = new HashMap<>();
        int k = 0;
        for (Edge e : p.edges) {
            String src = cropName(g, e.tensor);
            if (!e.direct) {
                e.name = "incr/e" + (k++);
                src = window(b, g, e, p.size.get(e.tensor), transposed);
            }
            edgeOf.computeIfAbsent(e.op, x -> new HashMap<>()).put(e.input, src);
        }
        for (int i = 0; i <= p.cut; i++) {
            RegionGraph.Op op = g.ops.get(i);
            NodeProto.Builder nb = op.node.toBuilder().clearOutput().addOutput(cropName(g, op.output));
            for (Map.Entry<Integer, String> in : edgeOf.getOrDefault(i, Map.of()).entrySet()) {
                nb.setInput(in.getKey(), in.getValue());
            }
            if (op.kind == RegionGraph.Kind.WINDOW) {
                if (op.node.getOpType().equals("Pad")) {
                    nb = NodeProto.newBuilder().setOpType("Identity").addInput(nb.getInput(0))
                            .addOutput(cropName(g, op.output));
                } else {
                    NodeProto.Builder clean = nb.clone().clearAttribute();
                    for (AttributeProto a : nb.getAttributeList()) {
                        switch (a.getName()) {
                            case "pads", "auto_pad", "ceil_mode" -> { }
                            default -> clean.addAttribute(a);
                        }
                    }
                    nb = clean;
                }
            }
            b.addNode(nb.setName("incr/" + i + "/" + op.node.getName()).build());
        }
        // splice the cut tensor's crop into the kept activation: a window over the whole map
        String spliced = window(b, g, p.splice, p.size.get(p.cutTensor), transposed);
        b.addNode(node("Identity", p.cutTensor, spliced));
        for (int i = p.cut + 1; i < g.ops.size(); i++) {
            b.addNode(g.ops.get(i).node);
        }
        b.addAllNode(g.rest);
        for (ValueInfoProto o : og.getOutputList()) {
            if (o.getName().equals(outputName)) {
                b.addOutput(o);
            }
        }
        return model.toBuilder().setGraph(b).build();
    }

    /**
     * Emits the nodes that make an edge's tensor's values on its window ({@code e.n} positions
     * per row): gathered from the kept activation (channels last, bordered by the padding value;
     * indices {@code name/idx}) with the row's crop written over it: scattered
     * ({@code name/sidx}) where the crop lies inside the window, else gathered ({@code name/cidx})
     * where it covers ({@code name/cover}); returns the name of the {@code [B, C, n0, n1]} result.
     */
    private static String window(GraphProto.Builder b, RegionGraph g, Edge e, int[] ht, java.util.Set<String> transposed) {
        String name = e.name;
        String cropT = "incr/cropT/" + e.tensor;
        if (transposed.add(cropT)) {
            b.addNode(node("Transpose", cropT, cropName(g, e.tensor)).toBuilder()
                    .addAttribute(Attr.ints("perm", 0, 2, 3, 1)).build());
        }
        b.addInput(longInput(name + "/idx", -1, e.n[0], e.n[1], 2));
        b.addNode(node("GatherND", name + "/kept", e.cache, name + "/idx"));
        if (e.scatter) {
            b.addInput(longInput(name + "/sidx", -1, ht[0], ht[1], 3));
            b.addNode(node("ScatterND", name + "/hwc", name + "/kept", name + "/sidx", cropT));
        } else {
            b.addInput(longInput(name + "/cidx", -1, e.n[0], e.n[1], 2));
            b.addInput(floatInput(name + "/cover", -1, e.n[0], e.n[1], 1));
            b.addNode(node("GatherND", name + "/changed", cropT, name + "/cidx").toBuilder()
                    .addAttribute(Attr.i("batch_dims", 1)).build());
            b.addNode(node("Cast", name + "/coverb", name + "/cover").toBuilder()
                    .addAttribute(Attr.i("to", DataType.BOOL_VALUE)).build());
            b.addNode(node("Where", name + "/hwc", name + "/coverb", name + "/changed", name + "/kept"));
        }
        b.addNode(node("Transpose", name + "/w", name + "/hwc").toBuilder().addAttribute(Attr.ints("perm", 0, 3, 1, 2))
                .build());
        return name + "/w";
    }

    private static NodeProto node(String op, String out, String... in) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).addOutput(out).setName(out);
        for (String s : in) {
            b.addInput(s);
        }
        return b.build();
    }

    private static ValueInfoProto longInput(String name, long... dims) {
        ValueInfoProto v = floatInput(name, dims);
        return v.toBuilder().setType(v.getType().toBuilder().setTensorType(v.getType().getTensorType().toBuilder()
                .setElemType(DataType.INT64_VALUE))).build();
    }

    private static ValueInfoProto floatInput(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(DataType.FLOAT_VALUE).setShape(s))).build();
    }

    private static TensorProto floatScalar(String name, float v) {
        return TensorProto.newBuilder().setName(name).setDataType(DataType.FLOAT_VALUE).addFloatData(v).build();
    }

    // ---------------------------------------------------------------- the kept activations

    /**
     * The unperturbed example's activations the plan reads: the cut tensor ({@code [C, H, W]})
     * and every gathered tensor, channels last ({@code [H, W, C]}).
     */
    private Map<String, float[]> cache(Plan p, double[] base, int[] exampleShape) {
        List<String> names = new ArrayList<>();
        for (CacheSpec c : p.caches.values()) {
            if (!names.contains(c.tensor())) {
                names.add(c.tensor());
            }
        }
        float[] x = new float[base.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) base[i];
        }
        Map<String, float[]> out = new HashMap<>();
        List<String> fromModel = new ArrayList<>();
        for (String t : names) {
            if (!t.equals(inputName)) {
                fromModel.add(t);
            }
        }
        String key = String.join("\n", fromModel);
        try {
            OrtSession s = cacheSessions.get(key);
            if (s == null) {
                ModelProto.Builder mb = model.toBuilder();
                GraphProto.Builder gb = mb.getGraphBuilder();
                gb.clearOutput();
                for (String t : fromModel) {
                    gb.addOutput(ValueInfoProto.newBuilder().setName(t).setType(TypeProto.newBuilder()
                            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataType.FLOAT_VALUE))));
                }
                s = OnnxModel.createSession(env, mb.build().toByteArray(), options);
                // used only under this lock (in local), so the one pushed out is not in use
                cacheSessions.put(key, s);
            }
            long[] shape = {1, exampleShape[0], exampleShape[1], exampleShape[2]};
            try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result r = s.run(Map.of(inputName, in))) {
                for (int i = 0; i < fromModel.size(); i++) {
                    FloatBuffer fb = ((OnnxTensor) r.get(i)).getFloatBuffer();
                    float[] v = new float[fb.remaining()];
                    fb.get(v);
                    out.put(fromModel.get(i), v);
                }
            }
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed keeping activations for incremental "
                    + "inference: " + e.getMessage(), e);
        }
        out.put(inputName, x);
        Map<String, float[]> cache = new HashMap<>();
        for (Map.Entry<String, CacheSpec> c : p.caches.entrySet()) {
            RegionGraph.Shape sh = p.graph.shapes.get(c.getValue().tensor());
            int[] pad = c.getValue().pad();
            int hp = sh.h() + pad[0] + pad[2];
            int wp = sh.w() + pad[1] + pad[3];
            float[] v = out.get(c.getValue().tensor());
            float[] hwc = new float[hp * wp * sh.c()];
            Arrays.fill(hwc, c.getValue().value());
            for (int ch = 0; ch < sh.c(); ch++) {
                for (int y = 0; y < sh.h(); y++) {
                    for (int xx = 0; xx < sh.w(); xx++) {
                        hwc[((y + pad[0]) * wp + xx + pad[1]) * sh.c() + ch] = v[(ch * sh.h() + y) * sh.w() + xx];
                    }
                }
            }
            cache.put(c.getKey(), hwc);
        }
        return cache;
    }

    // ---------------------------------------------------------------- evaluation

    /** The per-row inputs of one window (see {@link #window}) for a batch of {@code m} rows. */
    private static final class WindowFeed {
        final Edge e;
        final int[] ht;
        final long[] idx;
        final long[] sidx;
        final long[] cidx;
        final float[] cover;

        WindowFeed(Edge e, int[] ht, int m) {
            this.e = e;
            this.ht = ht;
            int nn = e.n[0] * e.n[1];
            idx = new long[m * nn * 2];
            sidx = e.scatter ? new long[m * ht[0] * ht[1] * 3] : null;
            cidx = e.scatter ? null : new long[m * nn * 2];
            cover = e.scatter ? null : new float[m * nn];
        }

        /** Row {@code i}: the window starts at {@code q}; the tensor's crop starts at {@code ot}. */
        void fill(int i, int[] q, int[] ot) {
            int[] n = e.n;
            for (int a = 0; a < n[0]; a++) {
                int y = q[0] + a;
                boolean coverY = y >= ot[0] && y < ot[0] + ht[0];
                int cy = Math.max(0, Math.min(ht[0] - 1, y - ot[0]));
                for (int bb = 0; bb < n[1]; bb++) {
                    int xx = q[1] + bb;
                    int at = (i * n[0] + a) * n[1] + bb;
                    idx[2 * at] = y + e.pad[0];
                    idx[2 * at + 1] = xx + e.pad[1];
                    if (cidx != null) {
                        cidx[2 * at] = cy;
                        cidx[2 * at + 1] = Math.max(0, Math.min(ht[1] - 1, xx - ot[1]));
                        cover[at] = coverY && xx >= ot[1] && xx < ot[1] + ht[1] ? 1f : 0f;
                    }
                }
            }
            if (sidx != null) {
                for (int a = 0; a < ht[0]; a++) {
                    for (int bb = 0; bb < ht[1]; bb++) {
                        int at = ((i * ht[0] + a) * ht[1] + bb) * 3;
                        sidx[at] = i;
                        sidx[at + 1] = ot[0] - q[0] + a;
                        sidx[at + 2] = ot[1] - q[1] + bb;
                    }
                }
            }
        }

        void feed(Map<String, OnnxTensor> feeds, List<OnnxTensor> made, OrtEnvironment env, int m) throws OrtException {
            feeds.put(e.name + "/idx", longs(made, env, idx, m, e.n[0], e.n[1], 2));
            if (sidx != null) {
                feeds.put(e.name + "/sidx", longs(made, env, sidx, m, ht[0], ht[1], 3));
            } else {
                feeds.put(e.name + "/cidx", longs(made, env, cidx, m, e.n[0], e.n[1], 2));
                OnnxTensor c = OnnxTensor.createTensor(env, FloatBuffer.wrap(cover), new long[] {m, e.n[0], e.n[1], 1});
                made.add(c);
                feeds.put(e.name + "/cover", c);
            }
        }

        private static OnnxTensor longs(List<OnnxTensor> made, OrtEnvironment env, long[] v, long... shape)
                throws OrtException {
            OnnxTensor t = OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(v), shape);
            made.add(t);
            return t;
        }
    }

    private void evaluate(Plan p, Map<String, float[]> cache, int[] exampleShape, int batchSize, int rows, int[][] lo,
                          int[][] hi, EvaluationEngine.RowFiller filler, EvaluationEngine.OutputConsumer consumer) {
        RegionGraph g = p.graph;
        RegionGraph.Shape ls = g.shapes.get(p.cutTensor);
        int[] xs = p.size.get(g.input);
        int c0 = exampleShape[0];
        int h0 = exampleShape[1];
        int w0 = exampleShape[2];
        double[] row = new double[c0 * h0 * w0];
        List<OnnxTensor> kept = new ArrayList<>();
        boolean acquired = false;
        try {
            OrtSession session = acquire(p);
            acquired = true;
            Map<String, OnnxTensor> caches = new HashMap<>();
            for (Map.Entry<String, CacheSpec> c : p.caches.entrySet()) {
                RegionGraph.Shape sh = g.shapes.get(c.getValue().tensor());
                int[] pad = c.getValue().pad();
                caches.put(c.getKey(), add(kept, cache.get(c.getKey()), sh.h() + pad[0] + pad[2], sh.w() + pad[1] + pad[3],
                        sh.c()));
            }
            for (int from = 0; from < rows; from += batchSize) {
                int m = Math.min(rows, from + batchSize) - from;
                float[] x = new float[m * c0 * xs[0] * xs[1]];
                List<WindowFeed> wf = new ArrayList<>();
                for (Edge e : p.edges) {
                    wf.add(e.direct ? null : new WindowFeed(e, p.size.get(e.tensor), m));
                }
                WindowFeed splice = new WindowFeed(p.splice, p.size.get(p.cutTensor), m);
                for (int i = 0; i < m; i++) {
                    int r = from + i;
                    Map<String, int[]> o = offsets(g, p.cut, p.size, lo[r], hi[r]);
                    filler.fill(r, row);
                    int[] ox = o.get(g.input);
                    int base = i * c0 * xs[0] * xs[1];
                    for (int c = 0; c < c0; c++) {
                        for (int yy = 0; yy < xs[0]; yy++) {
                            int src = (c * h0 + ox[0] + yy) * w0 + ox[1];
                            int dst = base + (c * xs[0] + yy) * xs[1];
                            for (int xx = 0; xx < xs[1]; xx++) {
                                x[dst + xx] = (float) row[src + xx];
                            }
                        }
                    }
                    for (int k = 0; k < p.edges.size(); k++) {
                        Edge e = p.edges.get(k);
                        if (!e.direct) {
                            RegionGraph.Op op = g.ops.get(e.op);
                            wf.get(k).fill(i, windowStart(op, o.get(op.output)), o.get(e.tensor));
                        }
                    }
                    splice.fill(i, new int[] {0, 0}, o.get(p.cutTensor));
                }
                List<OnnxTensor> made = new ArrayList<>();
                try {
                    Map<String, OnnxTensor> feeds = new HashMap<>(caches);
                    feeds.put("incr/x", add(made, x, m, c0, xs[0], xs[1]));
                    for (WindowFeed w : wf) {
                        if (w != null) {
                            w.feed(feeds, made, env, m);
                        }
                    }
                    splice.feed(feeds, made, env, m);
                    try (OrtSession.Result res = session.run(feeds)) {
                        OnnxTensor out = (OnnxTensor) res.get(0);
                        FloatBuffer fb = out.getFloatBuffer();
                        int per = fb.remaining() / m;
                        double[] ov = new double[per];
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < per; j++) {
                                ov[j] = fb.get(i * per + j);
                            }
                            consumer.accept(from + i, ov);
                        }
                        synchronized (this) {
                            this.rows += m;
                        }
                    }
                } finally {
                    OnnxValue.close(made);
                }
            }
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed in incremental inference: " + e.getMessage()
                    + "; run with incremental inference off", e);
        } finally {
            if (acquired) {
                release(p);
            }
            OnnxValue.close(kept);
        }
    }

    private OnnxTensor add(List<OnnxTensor> made, float[] data, long... shape) throws OrtException {
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
        made.add(t);
        return t;
    }

    /** ONNX Runtime sessions held now: cropped graphs' and activation-keeping ones (tests). */
    synchronized int openSessions() {
        int n = cacheSessions.size();
        for (Plan p : plans.values()) {
            synchronized (p) {
                n += p.session != null ? 1 : 0;
            }
        }
        return n;
    }

    @Override
    public synchronized void close() {
        for (Plan p : plans.values()) {
            retire(p); // an evaluation still running closes it when it ends
        }
        for (OrtSession s : cacheSessions.values()) {
            closeQuietly(s);
        }
        plans.clear();
        cacheSessions.clear();
    }
}
