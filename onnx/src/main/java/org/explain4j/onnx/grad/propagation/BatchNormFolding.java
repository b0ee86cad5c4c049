package org.explain4j.onnx.grad.propagation;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.explain4j.onnx.grad.Attr;

/**
 * Folds each inference-mode BatchNormalization into the Conv or Gemm that feeds it, as Zennit's
 * {@code MergeBatchNorm}: with {@code s = gamma / sqrt(var + epsilon)}, the layer's weights are
 * scaled by {@code s} per output channel and its bias becomes {@code (b - mean) s + beta}. The
 * folded layer writes the BatchNormalization's output tensor; the pre-normalisation tensor no
 * longer exists. A BatchNormalization is folded only when it reads output 0 of a Conv or Gemm that
 * nothing else reads (and that is no graph output), it runs in inference mode, and the weights,
 * the bias and its own parameters are float initializers held in the model file; any other is
 * left as it is (and a strict rule set refuses it).
 */
final class BatchNormFolding {
    private final GraphProto graph;
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, Integer> readers = new HashMap<>();
    private final Map<String, Integer> producer = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final Set<String> taken = new HashSet<>();
    private final List<NodeProto> nodes;
    private final List<TensorProto> added = new ArrayList<>();
    private final Set<String> replaced = new LinkedHashSet<>();

    private BatchNormFolding(GraphProto graph) {
        this.graph = graph;
        this.nodes = new ArrayList<>(graph.getNodeList());
        graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
        graph.getInputList().forEach(v -> taken.add(v.getName()));
        taken.addAll(initializers.keySet());
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            for (String in : names(n)) {
                readers.merge(in, 1, Integer::sum);
                taken.add(in);
            }
            for (String o : n.getOutputList()) {
                producer.put(o, i);
                taken.add(o);
            }
        }
    }

    /** The model with every foldable BatchNormalization folded; {@code model} itself when there is none. */
    static ModelProto apply(ModelProto model) {
        BatchNormFolding f = new BatchNormFolding(model.getGraph());
        return f.run() ? model.toBuilder().setGraph(f.result()).build() : model;
    }

    private boolean run() {
        boolean changed = false;
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto bn = nodes.get(i);
            if (bn != null && isDefault(bn) && bn.getOpType().equals("BatchNormalization")) {
                changed |= fold(i, bn);
            }
        }
        return changed;
    }

    private boolean fold(int bnIndex, NodeProto bn) {
        if (Attr.getInt(bn, "training_mode", 0) != 0 || bn.getInputCount() != 5) {
            return false;
        }
        for (int i = 1; i < bn.getOutputCount(); i++) {
            if (!bn.getOutput(i).isEmpty()) {
                return false;
            }
        }
        String x = bn.getInput(0);
        Integer p = producer.get(x);
        if (p == null || nodes.get(p) == null || readers.getOrDefault(x, 0) != 1 || graphOutputs.contains(x)) {
            return false;
        }
        NodeProto layer = nodes.get(p);
        if (!isDefault(layer) || !layer.getOutput(0).equals(x)
                || !(layer.getOpType().equals("Conv") || layer.getOpType().equals("Gemm"))) {
            return false;
        }
        double[][] stats = new double[4][];
        for (int i = 0; i < 4; i++) {
            stats[i] = values(bn.getInput(i + 1));
            if (stats[i] == null || initializers.get(bn.getInput(i + 1)).getDimsCount() != 1) {
                return false;
            }
        }
        int channels = stats[0].length;
        for (double[] s : stats) {
            if (s.length != channels) {
                return false;
            }
        }
        double eps = Attr.getFloat(bn, "epsilon", 1e-5f);
        double[] scale = new double[channels];
        double[] shift = new double[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = stats[0][c] / Math.sqrt(stats[3][c] + eps);
            shift[c] = stats[1][c] - stats[2][c] * scale[c];
        }
        NodeProto folded = layer.getOpType().equals("Conv")
                ? foldConv(layer, scale, shift) : foldGemm(layer, scale, shift);
        if (folded == null) {
            return false;
        }
        nodes.set(p, folded.toBuilder().setOutput(0, bn.getOutput(0)).build());
        nodes.set(bnIndex, null);
        for (int i = 1; i < 5; i++) {
            replaced.add(bn.getInput(i));
        }
        return true;
    }

    private NodeProto foldConv(NodeProto conv, double[] scale, double[] shift) {
        TensorProto w = initializers.get(conv.getInput(1));
        double[] wv = values(conv.getInput(1));
        if (wv == null || w.getDimsCount() < 3 || w.getDims(0) != scale.length) {
            return null;
        }
        boolean hasBias = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty();
        double[] b = hasBias ? values(conv.getInput(2)) : new double[scale.length];
        if (b == null || b.length != scale.length) {
            return null;
        }
        int per = wv.length / scale.length;
        double[] w2 = new double[wv.length];
        for (int i = 0; i < wv.length; i++) {
            w2[i] = wv[i] * scale[i / per];
        }
        double[] b2 = new double[scale.length];
        for (int c = 0; c < scale.length; c++) {
            b2[c] = b[c] * scale[c] + shift[c];
        }
        return withParameters(conv, w, w2, b2);
    }

    private NodeProto foldGemm(NodeProto gemm, double[] scale, double[] shift) {
        TensorProto w = initializers.get(gemm.getInput(1));
        double[] wv = values(gemm.getInput(1));
        if (wv == null || w.getDimsCount() != 2) {
            return null;
        }
        boolean transB = Attr.getInt(gemm, "transB", 0) != 0;
        int m = scale.length;
        long rows = w.getDims(0);
        long cols = w.getDims(1);
        if ((transB ? rows : cols) != m) {
            return null;
        }
        double beta = Attr.getFloat(gemm, "beta", 1f);
        double[] bias = new double[m];
        if (gemm.getInputCount() > 2 && !gemm.getInput(2).isEmpty()) {
            TensorProto cT = initializers.get(gemm.getInput(2));
            double[] cv = values(gemm.getInput(2));
            if (cv == null || !(cv.length == 1 || cv.length == m) || (cT.getDimsCount() == 2 && cT.getDims(0) != 1)
                    || cT.getDimsCount() > 2) {
                return null;
            }
            for (int j = 0; j < m; j++) {
                bias[j] = beta * cv[cv.length == 1 ? 0 : j];
            }
        }
        double[] w2 = new double[wv.length];
        for (int i = 0; i < wv.length; i++) {
            int out = (int) (transB ? i / cols : i % cols);
            w2[i] = wv[i] * scale[out];
        }
        double[] b2 = new double[m];
        for (int j = 0; j < m; j++) {
            b2[j] = bias[j] * scale[j] + shift[j];
        }
        NodeProto g = withParameters(gemm, w, w2, b2);
        return Attr.without(g, "beta").toBuilder().addAttribute(Attr.f("beta", 1f)).build();
    }

    /** The layer reading new initializers: weights {@code w2} (shaped as {@code w}) and a 1-D bias {@code b2}. */
    private NodeProto withParameters(NodeProto layer, TensorProto w, double[] w2, double[] b2) {
        String wName = fresh(w.getName());
        String bName = fresh(layer.getInputCount() > 2 && !layer.getInput(2).isEmpty() ? layer.getInput(2)
                : w.getName() + "_bias");
        added.add(tensor(wName, w.getDataType(), w.getDimsList(), w2));
        added.add(tensor(bName, w.getDataType(), List.of((long) b2.length), b2));
        NodeProto.Builder b = layer.toBuilder().setInput(1, wName);
        replaced.add(layer.getInput(1));
        if (layer.getInputCount() > 2) {
            if (!layer.getInput(2).isEmpty()) {
                replaced.add(layer.getInput(2));
            }
            b.setInput(2, bName);
        } else {
            b.addInput(bName);
        }
        return b.build();
    }

    private GraphProto result() {
        List<NodeProto> kept = nodes.stream().filter(n -> n != null).toList();
        Set<String> used = new HashSet<>();
        kept.forEach(n -> used.addAll(names(n)));
        graph.getInputList().forEach(v -> used.add(v.getName()));
        used.addAll(graphOutputs);
        GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(kept).clearInitializer();
        for (TensorProto t : graph.getInitializerList()) {
            if (!replaced.contains(t.getName()) || used.contains(t.getName())) {
                g.addInitializer(t);
            }
        }
        g.addAllInitializer(added);
        // value_info of tensors that no longer exist would only confuse later passes
        List<ValueInfoProto> info = graph.getValueInfoList().stream()
                .filter(v -> used.contains(v.getName()) || producedBy(kept, v.getName())).toList();
        return g.clearValueInfo().addAllValueInfo(info).build();
    }

    private static boolean producedBy(List<NodeProto> nodes, String name) {
        return nodes.stream().anyMatch(n -> n.getOutputList().contains(name));
    }

    private String fresh(String base) {
        String name = base + "/explain4j_bn_folded";
        for (int i = 1; !taken.add(name); i++) {
            name = base + "/explain4j_bn_folded_" + i;
        }
        return name;
    }

    /** The values of a float or double initializer held in the file, or null. */
    private double[] values(String name) {
        TensorProto t = initializers.get(name);
        if (t == null || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return null;
        }
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        int count = Math.toIntExact(n);
        double[] v = new double[count];
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasRaw = !t.getRawData().isEmpty();
        if (t.getDataType() == DataType.FLOAT_VALUE) {
            if (hasRaw ? raw.remaining() != 4L * count : t.getFloatDataCount() != count) {
                return null;
            }
            for (int i = 0; i < count; i++) {
                v[i] = hasRaw ? raw.getFloat(4 * i) : t.getFloatData(i);
            }
        } else if (t.getDataType() == DataType.DOUBLE_VALUE) {
            if (hasRaw ? raw.remaining() != 8L * count : t.getDoubleDataCount() != count) {
                return null;
            }
            for (int i = 0; i < count; i++) {
                v[i] = hasRaw ? raw.getDouble(8 * i) : t.getDoubleData(i);
            }
        } else {
            return null;
        }
        return v;
    }

    private static TensorProto tensor(String name, int type, List<Long> dims, double[] values) {
        ByteBuffer b;
        if (type == DataType.DOUBLE_VALUE) {
            b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : values) {
                b.putDouble(v);
            }
        } else {
            b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : values) {
                b.putFloat((float) v);
            }
        }
        return TensorProto.newBuilder().setName(name).setDataType(type).addAllDims(dims)
                .setRawData(ByteString.copyFrom(b.array())).build();
    }

    private static boolean isDefault(NodeProto n) {
        return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
    }

    /** Every tensor name a node reads, including (over-approximated) those its subgraphs read. */
    private static Set<String> names(NodeProto n) {
        Set<String> out = new HashSet<>();
        n.getInputList().stream().filter(s -> !s.isEmpty()).forEach(out::add);
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                a.getG().getNodeList().forEach(s -> out.addAll(names(s)));
                a.getG().getOutputList().forEach(v -> out.add(v.getName()));
            }
            for (GraphProto g : a.getGraphsList()) {
                g.getNodeList().forEach(s -> out.addAll(names(s)));
                g.getOutputList().forEach(v -> out.add(v.getName()));
            }
        }
        return out;
    }
}
