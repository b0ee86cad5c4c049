package org.explain4j.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.nio.ByteBuffer;
import org.explain4j.onnx.grad.Attr;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The spatial analysis behind incremental inference: for one example shape {@code [C, H, W]},
 * the longest prefix of the graph (in node order) made of operators whose output at a position
 * depends on a known window of input positions (Conv, MaxPool, AveragePool, constant Pad,
 * pointwise activations, BatchNormalization, elementwise arithmetic between maps or with
 * per-channel constants, channel Concat), each tensor's shape, and the cut points: tensors after
 * which nothing of the prefix is read again except that one tensor. Any other operator ends the
 * prefix (the rest of the graph then always runs on whole maps).
 */
final class RegionGraph {
    enum Kind { WINDOW, POINT, BINARY, CONCAT }

    /** One operator of the prefix. Window parameters are per spatial dimension (0 rows, 1 columns). */
    static final class Op {
        final NodeProto node;
        final Kind kind;
        final List<String> dynamicInputs = new ArrayList<>();
        final String output;
        final int[] k = {1, 1};
        final int[] s = {1, 1};
        final int[] pb = {0, 0};
        final int[] pe = {0, 0};
        final int[] d = {1, 1};
        /** The value a padded position holds (0 for Conv and Pad's default, -inf for MaxPool). */
        float padValue;
        /** Multiply-adds (or element operations) per output position, for the cost model. */
        double costPerPosition;

        Op(NodeProto node, Kind kind) {
            this.node = node;
            this.kind = kind;
            this.output = node.getOutput(0);
        }
    }

    /** Shape of a map tensor (batch excluded). */
    record Shape(int c, int h, int w) {
        int size(int dim) {
            return dim == 0 ? h : w;
        }
    }

    final ModelProto model;
    final String input;
    final List<Op> ops = new ArrayList<>();
    final Map<String, Shape> shapes = new HashMap<>();
    /** Nodes that read no tensor derived from the input (constants and their arithmetic). */
    final List<NodeProto> constantNodes = new ArrayList<>();
    /** Nodes after the prefix, in order. */
    final List<NodeProto> rest = new ArrayList<>();
    /** Why the prefix ended ({@code null} when it covers the whole graph). */
    String stoppedAt;
    private final Map<String, TensorProto> constants = new HashMap<>();

    RegionGraph(ModelProto model, String input, int[] exampleShape) {
        this.model = model;
        this.input = input;
        GraphProto g = model.getGraph();
        for (TensorProto t : g.getInitializerList()) {
            constants.put(t.getName(), t);
        }
        shapes.put(input, new Shape(exampleShape[0], exampleShape[1], exampleShape[2]));
        Set<String> dynamic = new HashSet<>();
        dynamic.add(input);
        boolean inPrefix = true;
        for (NodeProto n : g.getNodeList()) {
            boolean isDynamic = false;
            for (String in : n.getInputList()) {
                isDynamic |= dynamic.contains(in);
            }
            if (n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0)) {
                isDynamic = true; // subgraphs may read anything; never treated as constant
            }
            if (!isDynamic) {
                constantNodes.add(n);
                if (n.getOpType().equals("Constant") && n.getOutputCount() == 1) {
                    Attr.find(n, "value").filter(AttributeProto::hasT)
                            .ifPresent(a -> constants.put(n.getOutput(0), a.getT()));
                }
                continue;
            }
            dynamic.addAll(n.getOutputList());
            if (inPrefix) {
                Op op = analyse(n);
                if (op == null) {
                    inPrefix = false;
                    stoppedAt = n.getOpType() + " '" + n.getName() + "'";
                } else {
                    ops.add(op);
                    continue;
                }
            }
            rest.add(n);
        }
    }

    /** The operator as a prefix member with its output shape recorded, or null when it is not one. */
    private Op analyse(NodeProto n) {
        String t = n.getOpType();
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            return null;
        }
        switch (t) {
            case "Conv", "MaxPool", "AveragePool", "Pad":
                return window(n);
            case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip", "Elu", "Selu", "Softplus",
                 "Softsign", "Erf", "Identity", "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "PRelu",
                 "BatchNormalization", "Gelu", "Mish", "Celu", "ThresholdedRelu", "Dropout":
                return n.getOutputCount() == 1 || (t.equals("Dropout") && n.getOutput(1).isEmpty()) ? point(n) : null;
            case "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Pow":
                return binary(n);
            case "Concat":
                return concat(n);
            default:
                return null;
        }
    }

    private Op point(NodeProto n) {
        Op op = new Op(n, Kind.POINT);
        String first = n.getInput(0);
        if (!shapes.containsKey(first)) {
            return null;
        }
        for (int i = 1; i < n.getInputCount(); i++) {
            String in = n.getInput(i);
            if (in.isEmpty()) {
                continue;
            }
            // BatchNormalization's parameters are per channel ([C]), not broadcast against the map
            boolean perChannel = n.getOpType().equals("BatchNormalization") && constants.containsKey(in)
                    && constants.get(in).getDimsCount() == 1;
            if (shapes.containsKey(in) || !(perChannel || flatConstant(in))) {
                return null;
            }
        }
        op.dynamicInputs.add(first);
        shapes.put(op.output, shapes.get(first));
        op.costPerPosition = shapes.get(first).c();
        return op;
    }

    private Op binary(NodeProto n) {
        Op op = new Op(n, Kind.BINARY);
        Shape shape = null;
        int c = 0;
        for (String in : n.getInputList()) {
            Shape sh = shapes.get(in);
            if (sh != null) {
                if (shape != null && (shape.h() != sh.h() || shape.w() != sh.w())) {
                    return null;
                }
                shape = sh;
                c = Math.max(c, sh.c());
                if (!op.dynamicInputs.contains(in)) {
                    op.dynamicInputs.add(in);
                }
            } else if (!flatConstant(in)) {
                return null;
            }
        }
        if (shape == null) {
            return null;
        }
        shapes.put(op.output, new Shape(c, shape.h(), shape.w()));
        op.costPerPosition = c;
        return op;
    }

    private Op concat(NodeProto n) {
        long axis = Attr.getInt(n, "axis", 1);
        if (axis != 1 && axis != -3) {
            return null;
        }
        Op op = new Op(n, Kind.CONCAT);
        int c = 0;
        Shape first = null;
        for (String in : n.getInputList()) {
            Shape sh = shapes.get(in);
            if (sh == null || (first != null && (first.h() != sh.h() || first.w() != sh.w()))) {
                return null;
            }
            first = sh;
            c += sh.c();
            if (!op.dynamicInputs.contains(in)) {
                op.dynamicInputs.add(in);
            }
        }
        if (first == null) {
            return null;
        }
        shapes.put(op.output, new Shape(c, first.h(), first.w()));
        op.costPerPosition = c;
        return op;
    }

    private Op window(NodeProto n) {
        String t = n.getOpType();
        Shape in = shapes.get(n.getInput(0));
        if (in == null || n.getOutputCount() != 1) {
            return null;
        }
        Op op = new Op(n, Kind.WINDOW);
        op.dynamicInputs.add(n.getInput(0));
        int cOut = in.c();
        if (t.equals("Pad")) {
            if (!Attr.getString(n, "mode", "constant").equals("constant") || n.getInputCount() < 2
                    || n.getInputCount() > 3 || !constants.containsKey(n.getInput(1))) {
                return null;
            }
            long[] pads = longs(constants.get(n.getInput(1)));
            if (pads == null || pads.length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0) {
                return null;
            }
            for (int i = 0; i < 2; i++) {
                if (pads[2 + i] < 0 || pads[6 + i] < 0) {
                    return null;
                }
                op.pb[i] = (int) pads[2 + i];
                op.pe[i] = (int) pads[6 + i];
            }
            if (n.getInputCount() == 3 && !n.getInput(2).isEmpty()) {
                TensorProto v = constants.get(n.getInput(2));
                float[] f = v == null ? null : floats(v);
                if (f == null || f.length != 1) {
                    return null;
                }
                op.padValue = f[0];
            }
            op.costPerPosition = in.c();
        } else {
            String autoPad = Attr.getString(n, "auto_pad", "NOTSET");
            boolean valid = autoPad.equals("VALID");
            if (!valid && !autoPad.equals("NOTSET")) {
                return null;
            }
            long[] kernel;
            if (t.equals("Conv")) {
                TensorProto wt = constants.get(n.getInput(1));
                if (wt == null || wt.getDimsCount() != 4 || (n.getInputCount() > 2 && !n.getInput(2).isEmpty()
                        && !constants.containsKey(n.getInput(2)))) {
                    return null;
                }
                kernel = new long[] {wt.getDims(2), wt.getDims(3)};
                cOut = (int) wt.getDims(0);
                long group = Attr.getInt(n, "group", 1);
                op.costPerPosition = (double) wt.getDims(0) * wt.getDims(1) * kernel[0] * kernel[1];
                if (group < 1 || wt.getDims(1) * group != in.c()) {
                    return null;
                }
            } else {
                kernel = Attr.getInts(n, "kernel_shape", null);
                if (kernel == null || kernel.length != 2) {
                    return null;
                }
                op.costPerPosition = (double) in.c() * kernel[0] * kernel[1];
                op.padValue = t.equals("MaxPool") ? Float.NEGATIVE_INFINITY : 0f;
            }
            long[] strides = Attr.getInts(n, "strides", new long[] {1, 1});
            long[] dil = Attr.getInts(n, "dilations", new long[] {1, 1});
            long[] pads = valid ? new long[4] : Attr.getInts(n, "pads", new long[4]);
            if (strides.length != 2 || dil.length != 2 || pads.length != 4) {
                return null;
            }
            for (int i = 0; i < 2; i++) {
                op.k[i] = (int) kernel[i];
                op.s[i] = (int) strides[i];
                op.d[i] = (int) dil[i];
                op.pb[i] = (int) pads[i];
                op.pe[i] = (int) pads[2 + i];
                if (op.s[i] < 1 || op.d[i] < 1 || op.pb[i] < 0 || op.pe[i] < 0) {
                    return null;
                }
            }
            boolean padded = op.pb[0] + op.pb[1] + op.pe[0] + op.pe[1] > 0;
            if (t.equals("AveragePool") && padded && Attr.getInt(n, "count_include_pad", 0) == 0) {
                return null; // the divisor would count only the positions inside the map
            }
        }
        int[] out = new int[2];
        boolean ceil = Attr.getInt(n, "ceil_mode", 0) != 0;
        for (int i = 0; i < 2; i++) {
            int span = in.size(i) + op.pb[i] + op.pe[i] - op.d[i] * (op.k[i] - 1) - 1;
            if (span < 0) {
                return null;
            }
            out[i] = span / op.s[i] + 1;
            if (ceil && span % op.s[i] != 0) {
                if (t.equals("AveragePool")) {
                    return null; // the last window's divisor would leave out the positions past the padding
                }
                // the last window starts inside the map or its leading padding (ceil mode's rule)
                if (out[i] * op.s[i] < in.size(i) + op.pb[i]) {
                    out[i]++;
                }
            }
        }
        shapes.put(op.output, new Shape(cOut, out[0], out[1]));
        return op;
    }

    /** Whether the constant broadcasts the same value over every spatial position (its last two dims are 1 or absent). */
    private boolean flatConstant(String name) {
        TensorProto t = constants.get(name);
        if (t == null) {
            return false;
        }
        int r = t.getDimsCount();
        return (r < 1 || t.getDims(r - 1) == 1) && (r < 2 || t.getDims(r - 2) == 1) && r <= 4;
    }

    /** The values of an int64 constant, or null. */
    static long[] longs(TensorProto t) {
        if (t.getDataType() != DataType.INT64_VALUE) {
            return null;
        }
        if (t.getInt64DataCount() > 0) {
            return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
        }
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[b.remaining() / 8];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getLong();
        }
        return v;
    }

    /** The values of a float32 constant, or null. */
    static float[] floats(TensorProto t) {
        if (t.getDataType() != DataType.FLOAT_VALUE) {
            return null;
        }
        if (t.getFloatDataCount() > 0) {
            float[] v = new float[t.getFloatDataCount()];
            for (int i = 0; i < v.length; i++) {
                v[i] = t.getFloatData(i);
            }
            return v;
        }
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }

    /**
     * The cut points: indices {@code i} such that after ops {@code 0..i} only {@code ops[i]}'s
     * output is read by anything later (or is a graph output), paired with the full-map cost of
     * the ops up to and including it.
     */
    List<Integer> cuts() {
        Set<String> graphOutputs = new HashSet<>();
        model.getGraph().getOutputList().forEach(v -> graphOutputs.add(v.getName()));
        List<Integer> cuts = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            Set<String> produced = new HashSet<>();
            produced.add(input);
            for (int j = 0; j <= i; j++) {
                produced.add(ops.get(j).output);
            }
            Set<String> readLater = new HashSet<>();
            for (int j = i + 1; j < ops.size(); j++) {
                for (String in : reads(ops.get(j).node)) {
                    if (produced.contains(in)) {
                        readLater.add(in);
                    }
                }
            }
            for (NodeProto n : rest) {
                for (String in : reads(n)) {
                    if (produced.contains(in)) {
                        readLater.add(in);
                    }
                }
            }
            for (String o : graphOutputs) {
                if (produced.contains(o)) {
                    readLater.add(o);
                }
            }
            if (readLater.size() == 1 && readLater.contains(ops.get(i).output)) {
                cuts.add(i);
            }
        }
        return cuts;
    }

    /** Every tensor name the node reads, also inside its subgraphs (a superset where names are shadowed). */
    static List<String> reads(NodeProto n) {
        List<String> r = new ArrayList<>(n.getInputList());
        for (AttributeProto a : n.getAttributeList()) {
            List<GraphProto> gs = new ArrayList<>(a.getGraphsList());
            if (a.hasG()) {
                gs.add(a.getG());
            }
            for (GraphProto g : gs) {
                for (NodeProto m : g.getNodeList()) {
                    r.addAll(reads(m));
                }
                g.getOutputList().forEach(v -> r.add(v.getName()));
            }
        }
        return r;
    }

    /** The full-map cost of op {@code i}. */
    double fullCost(int i) {
        Shape o = shapes.get(ops.get(i).output);
        return ops.get(i).costPerPosition * o.h() * o.w();
    }
}
