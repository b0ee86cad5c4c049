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
 * keeping the activation at a cut tensor L; each perturbed row then computes the layers before L
 * only on crops: the input crop that reaches L's changed region, every layer without padding on
 * its crop (positions outside the real map are set to the padding value first, so the border is
 * exact), and L's crop is spliced into the kept activation, from which the rest of the network
 * runs on whole maps. L is chosen by a cost model (multiply-adds of cropped layers, weighted for
 * the lower efficiency of small convolutions, against whole ones); where no cut pays, the model
 * is not used and callers run ordinary batches.
 *
 * <p>Geometry: for the crop size {@code h_L} at L (the largest changed region over the rows),
 * every earlier tensor's crop starts at {@code slope * o_L + c} (per spatial dimension), where
 * {@code o_L} is the row's offset at L; slopes are products of strides, so one graph serves
 * every position.
 */
final class IncrementalInference implements AutoCloseable {
    /** Cropped layers cost this many times their multiply-adds (small crops run less efficiently). */
    static final double CROP_PENALTY = Double.parseDouble(System.getProperty("explain4j.incremental.penalty", "1.6"));
    /** A cut must save at least this fraction of the prefix cost. */
    static final double MIN_GAIN = 0.1;

    private final ModelProto model;
    private final String inputName;
    private final String outputName;
    private final OrtEnvironment env;
    private final OnnxModel.Options options;
    private final Map<String, RegionGraph> graphs = new HashMap<>();
    private final Map<String, Plan> plans = new HashMap<>();
    private final Map<String, OrtSession> cacheSessions = new HashMap<>();
    /** Rows evaluated incrementally so far, and the last cut's op index (-1 before any); for tests and benchmarks. */
    long rows;
    int lastCut = -1;
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

    /** Per spatial dimension: a tensor's crop starts at {@code slope * o_L + c} and has {@code size} positions. */
    record Crop(int[] slope, int[] c, int[] size) {
    }

    /** One compiled cut: the graph and what feeding it needs. */
    static final class Plan {
        RegionGraph graph;
        int cut;
        String cutTensor;
        int[] hL;
        Map<String, Crop> crops;
        List<String> masked;
        OrtSession session;
    }

    /** See {@link LocalEvaluation#local}. */
    synchronized LocalEvaluation.Evaluator local(double[] base, int[] exampleShape, int[][] lo, int[][] hi,
                                                 int batchSize) {
        if (exampleShape.length != 3) {
            return null;
        }
        String key = Arrays.toString(exampleShape);
        RegionGraph g = graphs.computeIfAbsent(key, k -> new RegionGraph(model, inputName, exampleShape));
        List<Integer> cuts = g.cuts();
        if (cuts.isEmpty()) {
            return null;
        }
        // choose the cut: the cheapest of cropped prefix plus whole remainder (within the analysed prefix)
        double total = 0;
        for (int i = 0; i < g.ops.size(); i++) {
            total += g.fullCost(i);
        }
        int best = -1;
        int[] bestH = null;
        Map<String, Crop> bestCrops = null;
        double bestCost = total * (1 - MIN_GAIN);
        double before = 0;
        int next = 0;
        for (int i = 0; i < g.ops.size(); i++) {
            before += g.fullCost(i);
            if (next >= cuts.size() || cuts.get(next) != i) {
                continue;
            }
            next++;
            int[] h = cropSize(g, i, lo, hi);
            Map<String, Crop> crops = crops(g, i, h);
            if (crops == null) {
                continue;
            }
            double cost = CROP_PENALTY * cropCost(g, i, crops) + (total - before);
            if (forcedCut >= 0 ? i <= forcedCut : cost < bestCost) {
                best = i;
                bestCost = cost;
                bestH = h;
                bestCrops = crops;
            }
        }
        if (best < 0) {
            return null;
        }
        Plan plan = plan(g, best, bestH, bestCrops, lo, hi);
        lastCut = best;
        float[] cache = cache(plan.cutTensor, base, exampleShape);
        return (rows, l, h, filler, consumer) -> evaluate(plan, cache, exampleShape, batchSize, rows, l, h, filler, consumer);
    }

    // ---------------------------------------------------------------- geometry

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /** The region of every prefix tensor up to op {@code cut} that changes when the input changes inside the box: {@code [dim][lo, hi)}. */
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

    /** The crop size at the cut: the largest changed region over the rows, per dimension. */
    private static int[] cropSize(RegionGraph g, int cut, int[][] lo, int[][] hi) {
        int[] h = {1, 1};
        String t = g.ops.get(cut).output;
        for (int r = 0; r < lo.length; r++) {
            int[][] reg = regions(g, cut, lo[r], hi[r]).get(t);
            if (reg != null) {
                h[0] = Math.max(h[0], reg[0][1] - reg[0][0]);
                h[1] = Math.max(h[1], reg[1][1] - reg[1][0]);
            }
        }
        return h;
    }

    /** The crop of the cut tensor's region: inside the map where it fits. */
    static int[] offsetAtCut(RegionGraph g, int cut, int[] hL, int[] lo, int[] hi) {
        String t = g.ops.get(cut).output;
        RegionGraph.Shape sh = g.shapes.get(t);
        int[][] reg = regions(g, cut, lo, hi).get(t);
        int[] o = new int[2];
        for (int d = 0; d < 2; d++) {
            int start = reg == null ? 0 : reg[d][0];
            o[d] = Math.max(0, Math.min(start, sh.size(d) - hL[d]));
        }
        return o;
    }

    /** Each prefix tensor's crop for a cut with crop size {@code hL}, or null when consumers disagree on slope. */
    static Map<String, Crop> crops(RegionGraph g, int cut, int[] hL) {
        Map<String, List<Crop>> needs = new HashMap<>();
        Map<String, Crop> crops = new LinkedHashMap<>();
        String cutTensor = g.ops.get(cut).output;
        needs.put(cutTensor, new ArrayList<>(List.of(new Crop(new int[] {1, 1}, new int[] {0, 0}, hL.clone()))));
        for (int i = cut; i >= 0; i--) {
            RegionGraph.Op op = g.ops.get(i);
            Crop out = union(needs.get(op.output));
            if (out == null) {
                if (needs.containsKey(op.output)) {
                    return null;
                }
                continue; // does not lead to the cut
            }
            crops.put(op.output, out);
            for (String in : op.dynamicInputs) {
                Crop need;
                if (op.kind == RegionGraph.Kind.WINDOW) {
                    int[] sl = new int[2];
                    int[] c = new int[2];
                    int[] size = new int[2];
                    for (int d = 0; d < 2; d++) {
                        sl[d] = out.slope()[d] * op.s[d];
                        c[d] = out.c()[d] * op.s[d] - op.pb[d];
                        size[d] = (out.size()[d] - 1) * op.s[d] + op.d[d] * (op.k[d] - 1) + 1;
                    }
                    need = new Crop(sl, c, size);
                } else {
                    need = out;
                }
                needs.computeIfAbsent(in, k -> new ArrayList<>()).add(need);
            }
        }
        Crop in = union(needs.get(g.input));
        if (in == null) {
            return null;
        }
        crops.put(g.input, in);
        return crops;
    }

    private static Crop union(List<Crop> list) {
        if (list == null || list.isEmpty()) {
            return null;
        }
        Crop first = list.get(0);
        int[] c = first.c().clone();
        int[] end = {first.c()[0] + first.size()[0], first.c()[1] + first.size()[1]};
        for (Crop k : list) {
            if (!Arrays.equals(k.slope(), first.slope())) {
                return null;
            }
            for (int d = 0; d < 2; d++) {
                c[d] = Math.min(c[d], k.c()[d]);
                end[d] = Math.max(end[d], k.c()[d] + k.size()[d]);
            }
        }
        return new Crop(first.slope(), c, new int[] {end[0] - c[0], end[1] - c[1]});
    }

    private static double cropCost(RegionGraph g, int cut, Map<String, Crop> crops) {
        double cost = 0;
        for (int i = 0; i <= cut; i++) {
            RegionGraph.Op op = g.ops.get(i);
            Crop k = crops.get(op.output);
            if (k != null) {
                cost += op.costPerPosition * k.size()[0] * k.size()[1];
            }
        }
        RegionGraph.Shape l = g.shapes.get(g.ops.get(cut).output);
        // the splice: two one-hot products and a blend over the cut's map
        return cost + (double) l.c() * l.h() * l.w() * 4;
    }

    // ---------------------------------------------------------------- the cropped graph

    private Plan plan(RegionGraph g, int cut, int[] hL, Map<String, Crop> crops, int[][] lo, int[][] hi) {
        // tensors whose crop leaves the map for some row, for some window op reading them
        List<String> masked = new ArrayList<>();
        for (int i = 0; i <= cut; i++) {
            RegionGraph.Op op = g.ops.get(i);
            if (op.kind != RegionGraph.Kind.WINDOW || !crops.containsKey(op.output)) {
                continue;
            }
            String t = op.dynamicInputs.get(0);
            if (!masked.contains(t) && leavesMap(g, cut, hL, crops, t, lo, hi)) {
                masked.add(t);
            }
        }
        String cutTensor = g.ops.get(cut).output;
        if (!masked.contains(cutTensor) && leavesMap(g, cut, hL, crops, cutTensor, lo, hi)) {
            masked.add(cutTensor);
        }
        String key = System.identityHashCode(g) + "/" + cut + "/" + Arrays.toString(hL) + "/" + masked;
        Plan cached = plans.get(key);
        if (cached != null) {
            return cached;
        }
        Plan p = new Plan();
        p.graph = g;
        p.cut = cut;
        p.cutTensor = cutTensor;
        p.hL = hL;
        p.crops = crops;
        p.masked = masked;
        ModelProto m = croppedModel(g, p);
        try {
            p.session = OnnxModel.createSession(env, m.toByteArray(), options);
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime rejected the incremental (cropped) graph: "
                    + e.getMessage() + "; run with incremental inference off", e);
        }
        plans.put(key, p);
        return p;
    }

    private static boolean leavesMap(RegionGraph g, int cut, int[] hL, Map<String, Crop> crops, String t,
                                     int[][] lo, int[][] hi) {
        Crop k = crops.get(t);
        RegionGraph.Shape sh = g.shapes.get(t);
        for (int r = 0; r < lo.length; r++) {
            int[] oL = offsetAtCut(g, cut, hL, lo[r], hi[r]);
            for (int d = 0; d < 2; d++) {
                int o = k.slope()[d] * oL[d] + k.c()[d];
                if (o < 0 || o + k.size()[d] > sh.size(d)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String cropName(RegionGraph g, String t) {
        return t.equals(g.input) ? "incr/x" : "incr/crop/" + t;
    }

    private ModelProto croppedModel(RegionGraph g, Plan p) {
        GraphProto og = model.getGraph();
        GraphProto.Builder b = GraphProto.newBuilder().setName(og.getName() + "_incremental");
        b.addAllInitializer(og.getInitializerList());
        b.addAllNode(g.constantNodes);
        Crop x = p.crops.get(g.input);
        RegionGraph.Shape xs = g.shapes.get(g.input);
        b.addInput(floatInput("incr/x", -1, xs.c(), x.size()[0], x.size()[1]));
        int[] counter = {0};
        Map<String, String> maskedNames = new HashMap<>();
        for (String t : p.masked) {
            Crop k = p.crops.get(t);
            String in = "incr/mask/" + t;
            b.addInput(floatInput(in, -1, 1, k.size()[0], k.size()[1]));
            String bool = "incr/maskb/" + t;
            b.addNode(NodeProto.newBuilder().setOpType("Cast").addInput(in).addOutput(bool)
                    .addAttribute(Attr.i("to", DataType.BOOL_VALUE)).build());
            maskedNames.put(t, bool);
        }
        Map<String, String> padded = new HashMap<>();
        for (int i = 0; i <= p.cut; i++) {
            RegionGraph.Op op = g.ops.get(i);
            Crop out = p.crops.get(op.output);
            if (out == null) {
                continue;
            }
            NodeProto.Builder nb = op.node.toBuilder().clearOutput().addOutput(cropName(g, op.output));
            for (int j = 0; j < nb.getInputCount(); j++) {
                String t = nb.getInput(j);
                if (!op.dynamicInputs.contains(t)) {
                    continue;
                }
                Crop have = p.crops.get(t);
                String src = cropName(g, t);
                int[] start = new int[2];
                int[] size = new int[2];
                for (int d = 0; d < 2; d++) {
                    if (op.kind == RegionGraph.Kind.WINDOW) {
                        start[d] = out.c()[d] * op.s[d] - op.pb[d] - have.c()[d];
                        size[d] = (out.size()[d] - 1) * op.s[d] + op.d[d] * (op.k[d] - 1) + 1;
                    } else {
                        start[d] = out.c()[d] - have.c()[d];
                        size[d] = out.size()[d];
                    }
                }
                if (op.kind == RegionGraph.Kind.WINDOW && maskedNames.containsKey(t)) {
                    String key = t + "/" + op.padValue;
                    String name = padded.get(key);
                    if (name == null) {
                        name = "incr/pad" + (counter[0]++) + "/" + t;
                        String v = name + "/value";
                        b.addInitializer(floatScalar(v, op.padValue));
                        b.addNode(NodeProto.newBuilder().setOpType("Where").addInput(maskedNames.get(t)).addInput(src)
                                .addInput(v).addOutput(name).build());
                        padded.put(key, name);
                    }
                    src = name;
                }
                if (start[0] != 0 || start[1] != 0 || size[0] != have.size()[0] || size[1] != have.size()[1]) {
                    String name = "incr/slice" + (counter[0]++) + "/" + t;
                    b.addInitializer(longs(name + "/starts", start[0], start[1]));
                    b.addInitializer(longs(name + "/ends", start[0] + size[0], start[1] + size[1]));
                    b.addInitializer(longs(name + "/axes", 2, 3));
                    b.addNode(NodeProto.newBuilder().setOpType("Slice").addInput(src).addInput(name + "/starts")
                            .addInput(name + "/ends").addInput(name + "/axes").addOutput(name).build());
                    src = name;
                }
                nb.setInput(j, src);
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
        // splice the cut tensor's crop into the kept activation
        RegionGraph.Shape ls = g.shapes.get(p.cutTensor);
        String crop = cropName(g, p.cutTensor);
        if (maskedNames.containsKey(p.cutTensor)) {
            b.addInitializer(floatScalar("incr/zero", 0f));
            b.addNode(NodeProto.newBuilder().setOpType("Where").addInput(maskedNames.get(p.cutTensor)).addInput(crop)
                    .addInput("incr/zero").addOutput("incr/cutmasked").build());
            crop = "incr/cutmasked";
        }
        b.addInput(floatInput("incr/ey", -1, 1, ls.h(), p.hL[0]));
        b.addInput(floatInput("incr/ex", -1, 1, p.hL[1], ls.w()));
        b.addInput(floatInput("incr/keep", -1, 1, ls.h(), ls.w()));
        b.addInput(floatInput("incr/cache", 1, ls.c(), ls.h(), ls.w()));
        b.addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("incr/ey").addInput(crop).addOutput("incr/rows").build());
        b.addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("incr/rows").addInput("incr/ex")
                .addOutput("incr/placed").build());
        b.addNode(NodeProto.newBuilder().setOpType("Mul").addInput("incr/cache").addInput("incr/keep")
                .addOutput("incr/kept").build());
        b.addNode(NodeProto.newBuilder().setOpType("Add").addInput("incr/kept").addInput("incr/placed")
                .addOutput(p.cutTensor).build());
        for (int i = p.cut + 1; i < g.ops.size(); i++) {
            b.addNode(g.ops.get(i).node);
        }
        b.addAllNode(g.rest);
        for (ValueInfoProto o : og.getOutputList()) {
            if (o.getName().equals(outputName)) {
                b.addOutput(o);
            }
        }
        ModelProto.Builder mb = model.toBuilder().setGraph(b);
        return mb.build();
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

    private static TensorProto longs(String name, long... v) {
        ByteBuffer bb = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            bb.putLong(x);
        }
        return TensorProto.newBuilder().setName(name).setDataType(DataType.INT64_VALUE).addDims(v.length)
                .setRawData(ByteString.copyFrom(bb.array())).build();
    }

    // ---------------------------------------------------------------- the kept activation

    /** The cut tensor's activation on the unperturbed example. */
    private float[] cache(String tensor, double[] base, int[] exampleShape) {
        try {
            OrtSession s = cacheSessions.get(tensor);
            if (s == null) {
                ModelProto.Builder mb = model.toBuilder();
                GraphProto.Builder gb = mb.getGraphBuilder();
                gb.clearOutput();
                gb.addOutput(ValueInfoProto.newBuilder().setName(tensor).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataType.FLOAT_VALUE))));
                s = OnnxModel.createSession(env, mb.build().toByteArray(), options);
                cacheSessions.put(tensor, s);
            }
            float[] x = new float[base.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) base[i];
            }
            long[] shape = {1, exampleShape[0], exampleShape[1], exampleShape[2]};
            try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result r = s.run(Map.of(inputName, in))) {
                FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            }
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed keeping the activation '" + tensor
                    + "' for incremental inference: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- evaluation

    private void evaluate(Plan p, float[] cache, int[] exampleShape, int batchSize, int rows, int[][] lo, int[][] hi,
                          EvaluationEngine.RowFiller filler, EvaluationEngine.OutputConsumer consumer) {
        RegionGraph g = p.graph;
        RegionGraph.Shape ls = g.shapes.get(p.cutTensor);
        Crop xc = p.crops.get(g.input);
        int c0 = exampleShape[0];
        int h0 = exampleShape[1];
        int w0 = exampleShape[2];
        int xh = xc.size()[0];
        int xw = xc.size()[1];
        double[] row = new double[c0 * h0 * w0];
        try (OnnxTensor cacheT = OnnxTensor.createTensor(env, FloatBuffer.wrap(cache),
                new long[] {1, ls.c(), ls.h(), ls.w()})) {
            for (int from = 0; from < rows; from += batchSize) {
                int m = Math.min(rows, from + batchSize) - from;
                float[] x = new float[m * c0 * xh * xw];
                float[] ey = new float[m * ls.h() * p.hL[0]];
                float[] ex = new float[m * p.hL[1] * ls.w()];
                float[] keep = new float[m * ls.h() * ls.w()];
                Arrays.fill(keep, 1f);
                Map<String, float[]> masks = new LinkedHashMap<>();
                for (String t : p.masked) {
                    Crop k = p.crops.get(t);
                    masks.put(t, new float[m * k.size()[0] * k.size()[1]]);
                }
                for (int i = 0; i < m; i++) {
                    int r = from + i;
                    int[] oL = offsetAtCut(g, p.cut, p.hL, lo[r], hi[r]);
                    filler.fill(r, row);
                    int oy = xc.slope()[0] * oL[0] + xc.c()[0];
                    int ox = xc.slope()[1] * oL[1] + xc.c()[1];
                    int base = i * c0 * xh * xw;
                    for (int c = 0; c < c0; c++) {
                        for (int yy = 0; yy < xh; yy++) {
                            int y = oy + yy;
                            if (y < 0 || y >= h0) {
                                continue;
                            }
                            int dst = base + (c * xh + yy) * xw;
                            int src = (c * h0 + y) * w0;
                            for (int xx = Math.max(0, -ox); xx < xw && ox + xx < w0; xx++) {
                                x[dst + xx] = (float) row[src + ox + xx];
                            }
                        }
                    }
                    for (Map.Entry<String, float[]> e : masks.entrySet()) {
                        Crop k = p.crops.get(e.getKey());
                        RegionGraph.Shape sh = g.shapes.get(e.getKey());
                        int ty = k.slope()[0] * oL[0] + k.c()[0];
                        int tx = k.slope()[1] * oL[1] + k.c()[1];
                        float[] mk = e.getValue();
                        int at = i * k.size()[0] * k.size()[1];
                        for (int yy = 0; yy < k.size()[0]; yy++) {
                            boolean inY = ty + yy >= 0 && ty + yy < sh.h();
                            for (int xx = 0; xx < k.size()[1]; xx++) {
                                mk[at++] = inY && tx + xx >= 0 && tx + xx < sh.w() ? 1f : 0f;
                            }
                        }
                    }
                    for (int j = 0; j < p.hL[0]; j++) {
                        int y = oL[0] + j;
                        if (y < ls.h()) {
                            ey[(i * ls.h() + y) * p.hL[0] + j] = 1f;
                            for (int j2 = 0; j2 < p.hL[1] && oL[1] + j2 < ls.w(); j2++) {
                                keep[(i * ls.h() + y) * ls.w() + oL[1] + j2] = 0f;
                            }
                        }
                    }
                    for (int j = 0; j < p.hL[1]; j++) {
                        int xx = oL[1] + j;
                        if (xx < ls.w()) {
                            ex[(i * p.hL[1] + j) * ls.w() + xx] = 1f;
                        }
                    }
                }
                List<OnnxTensor> made = new ArrayList<>();
                try {
                    Map<String, OnnxTensor> feeds = new HashMap<>();
                    feeds.put("incr/x", add(made, x, m, c0, xh, xw));
                    for (Map.Entry<String, float[]> e : masks.entrySet()) {
                        Crop k = p.crops.get(e.getKey());
                        feeds.put("incr/mask/" + e.getKey(), add(made, e.getValue(), m, 1, k.size()[0], k.size()[1]));
                    }
                    feeds.put("incr/ey", add(made, ey, m, 1, ls.h(), p.hL[0]));
                    feeds.put("incr/ex", add(made, ex, m, 1, p.hL[1], ls.w()));
                    feeds.put("incr/keep", add(made, keep, m, 1, ls.h(), ls.w()));
                    feeds.put("incr/cache", cacheT);
                    try (OrtSession.Result res = p.session.run(feeds)) {
                        OnnxTensor out = (OnnxTensor) res.get(0);
                        FloatBuffer fb = out.getFloatBuffer();
                        int per = fb.remaining() / m;
                        double[] o = new double[per];
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < per; j++) {
                                o[j] = fb.get(i * per + j);
                            }
                            consumer.accept(from + i, o);
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
        }
    }

    private OnnxTensor add(List<OnnxTensor> made, float[] data, long... shape) throws OrtException {
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
        made.add(t);
        return t;
    }

    @Override
    public synchronized void close() {
        for (Plan p : plans.values()) {
            try {
                p.session.close();
            } catch (OrtException e) {
                // closing is best effort
            }
        }
        for (OrtSession s : cacheSessions.values()) {
            try {
                s.close();
            } catch (OrtException e) {
                // closing is best effort
            }
        }
        plans.clear();
        cacheSessions.clear();
    }
}
