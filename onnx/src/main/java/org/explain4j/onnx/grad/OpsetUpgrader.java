package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.explain4j.core.Explain4jException;

/**
 * Rewrites forward nodes written for an older default-domain opset so that they mean the same
 * under a newer one (the backward graph may need opset 16 for ScatterElements with a reduction).
 * Handles the changes between opsets 11 and 17: attributes that became inputs (Squeeze,
 * Unsqueeze, ReduceSum, Split at 13; Dropout's ratio at 12), Softmax/LogSoftmax/Hardmax's
 * flatten-to-2-D semantics before 13 and RoiAlign's default coordinate mode at 16.
 *
 * <p>{@link #toOpset11} rewrites a model of opset 7 to 10 in opset-11 forms first: attributes
 * that became inputs (Clip's min/max, Pad's pads and value, Slice's starts/ends/axes, TopK's k),
 * BatchNormalization's {@code spatial}, Dropout's {@code is_test}, Upsample and Resize-10 as
 * Resize-11 with asymmetric coordinates, Scatter as ScatterElements and the experimental
 * ImageScaler as Mul and Add.
 */
final class OpsetUpgrader {
    private final int from;
    private final int to;
    private final GraphEmitter emitter;
    private final Function<String, TensorMeta> metas;

    OpsetUpgrader(int from, int to, GraphEmitter emitter, Function<String, TensorMeta> metas) {
        if (from < 18 && to >= 18) {
            throw new IllegalArgumentException("cannot upgrade opset " + from + " to " + to);
        }
        this.from = from;
        this.to = to;
        this.emitter = emitter;
        this.metas = metas;
    }

    List<NodeProto> upgrade(List<NodeProto> nodes) {
        return upgrade(nodes, true);
    }

    private List<NodeProto> upgrade(List<NodeProto> nodes, boolean topLevel) {
        List<NodeProto> out = new ArrayList<>();
        for (NodeProto n : nodes) {
            out.addAll(upgradeNode(upgradeSubgraphs(n), topLevel));
        }
        return out;
    }

    private NodeProto upgradeSubgraphs(NodeProto n) {
        if (n.getAttributeList().stream().noneMatch(a -> a.hasG() || a.getGraphsCount() > 0)) {
            return n;
        }
        NodeProto.Builder b = n.toBuilder().clearAttribute();
        for (AttributeProto a : n.getAttributeList()) {
            AttributeProto.Builder ab = a.toBuilder();
            if (a.hasG()) {
                ab.setG(upgradeGraph(a.getG()));
            }
            for (int i = 0; i < a.getGraphsCount(); i++) {
                ab.setGraphs(i, upgradeGraph(a.getGraphs(i)));
            }
            b.addAttribute(ab);
        }
        return b.build();
    }

    private GraphProto upgradeGraph(GraphProto g) {
        return g.toBuilder().clearNode().addAllNode(upgrade(g.getNodeList(), false)).build();
    }

    /**
     * The nodes of an opset-{@code from} (7 to 10) graph in their opset-11 forms, computing the
     * same; {@code metas} gives a tensor's type and shape, or null inside a subgraph (float32 is
     * then assumed for the few constants whose type follows the data).
     */
    static List<NodeProto> toOpset11(List<NodeProto> nodes, int from, GraphEmitter emitter,
                                     Function<String, TensorMeta> metas) {
        List<NodeProto> out = new ArrayList<>();
        for (NodeProto n : nodes) {
            int mark = emitter.nodes().size();
            List<NodeProto> rewritten = legacy(legacySubgraphs(n, from, emitter), from, emitter, metas);
            List<NodeProto> emitted = emitter.nodes().subList(mark, emitter.nodes().size());
            out.addAll(emitted);
            emitted.clear();
            out.addAll(rewritten);
        }
        return out;
    }

    private static NodeProto legacySubgraphs(NodeProto n, int from, GraphEmitter emitter) {
        if (n.getAttributeList().stream().noneMatch(a -> a.hasG() || a.getGraphsCount() > 0)) {
            return n;
        }
        NodeProto.Builder b = n.toBuilder().clearAttribute();
        for (AttributeProto a : n.getAttributeList()) {
            AttributeProto.Builder ab = a.toBuilder();
            if (a.hasG()) {
                ab.setG(a.getG().toBuilder().clearNode().addAllNode(toOpset11(a.getG().getNodeList(), from, emitter,
                        t -> null)));
            }
            for (int i = 0; i < a.getGraphsCount(); i++) {
                GraphProto g = a.getGraphs(i);
                ab.setGraphs(i, g.toBuilder().clearNode().addAllNode(toOpset11(g.getNodeList(), from, emitter,
                        t -> null)));
            }
            b.addAttribute(ab);
        }
        return b.build();
    }

    private static int typeOf(String tensor, Function<String, TensorMeta> metas) {
        TensorMeta m = metas.apply(tensor);
        return m == null ? ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE : m.elemType();
    }

    private static List<NodeProto> legacy(NodeProto n, int from, GraphEmitter e, Function<String, TensorMeta> metas) {
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            return List.of(n);
        }
        switch (n.getOpType()) {
            case "Clip" -> {
                int type = typeOf(n.getInput(0), metas);
                NodeProto.Builder b = Attr.without(Attr.without(n, "min"), "max").toBuilder();
                b.addInput(Attr.find(n, "min").isPresent() ? e.scalar(Attr.getFloat(n, "min", 0), type) : "");
                b.addInput(Attr.find(n, "max").isPresent() ? e.scalar(Attr.getFloat(n, "max", 0), type) : "");
                return List.of(trimInputs(b));
            }
            case "Pad" -> {
                int type = typeOf(n.getInput(0), metas);
                long[] pads = Attr.getInts(n, "pads", Attr.getInts(n, "paddings", new long[0]));
                float value = Attr.getFloat(n, "value", 0);
                NodeProto.Builder b = Attr.without(Attr.without(Attr.without(n, "pads"), "paddings"), "value").toBuilder();
                b.addInput(e.longs(pads));
                if (Attr.getString(n, "mode", "constant").equals("constant")) {
                    b.addInput(e.scalar(value, type));
                }
                return List.of(b.build());
            }
            case "Slice" -> {
                if (from >= 10) {
                    return List.of(n);
                }
                long[] starts = Attr.getInts(n, "starts", new long[0]);
                NodeProto.Builder b = Attr.without(Attr.without(Attr.without(n, "starts"), "ends"), "axes").toBuilder();
                b.addInput(e.longs(starts)).addInput(e.longs(Attr.getInts(n, "ends", new long[0])));
                long[] axes = Attr.getInts(n, "axes", null);
                if (axes != null) {
                    b.addInput(e.longs(axes));
                }
                return List.of(b.build());
            }
            case "TopK" -> {
                if (from >= 10) {
                    return List.of(n);
                }
                return List.of(Attr.without(n, "k").toBuilder().addInput(e.longs(Attr.getInt(n, "k", 1))).build());
            }
            case "BatchNormalization" -> {
                return batchNorm(n, e, typeOf(n.getInput(0), metas));
            }
            case "Dropout" -> {
                return List.of(Attr.without(n, "is_test"));
            }
            case "ImageScaler" -> {
                // an experimental op (until opset 9): y = scale * x + bias[c]
                int type = typeOf(n.getInput(0), metas);
                double[] b = Attr.find(n, "bias").map(a -> a.getFloatsList().stream().mapToDouble(Float::doubleValue)
                        .toArray()).orElse(new double[0]);
                String scaled = e.op("Mul", List.of(n.getInput(0), e.scalar(Attr.getFloat(n, "scale", 1f), type)));
                return List.of(NodeProto.newBuilder().setOpType("Add").setName(n.getName()).addInput(scaled)
                        .addInput(e.floats(type, new long[] {b.length, 1, 1}, b)).addOutput(n.getOutput(0)).build());
            }
            case "Scatter" -> {
                return List.of(n.toBuilder().setOpType("ScatterElements").build());
            }
            case "Upsample", "Resize" -> {
                return List.of(resize(n, e));
            }
            case "Scan" -> {
                if (from < 9) {
                    throw Unsupported.error(n, from, "Scan before opset 9 (with a batch axis and sequence lengths) is"
                            + " not rewritten to its opset-9 form");
                }
                return List.of(n);
            }
            default -> {
                return List.of(n);
            }
        }
    }

    private static NodeProto trimInputs(NodeProto.Builder b) {
        List<String> in = new ArrayList<>(b.getInputList());
        while (in.size() > 1 && in.get(in.size() - 1).isEmpty()) {
            in.remove(in.size() - 1);
        }
        return b.clearInput().addAllInput(in).build();
    }

    /** BatchNormalization before opset 9: {@code spatial = 0} means per-element statistics (shape C x D1 x ...). */
    private static List<NodeProto> batchNorm(NodeProto n, GraphEmitter e, int type) {
        if (Attr.getInt(n, "spatial", 1) != 0) {
            return List.of(Attr.without(Attr.without(n, "spatial"), "is_test"));
        }
        float eps = Attr.getFloat(n, "epsilon", 1e-5f);
        // y = x * a + (B - mean * a), a = scale / sqrt(var + eps), as ONNX Runtime computes it;
        // the parameters broadcast over the batch axis
        String a = e.op("Div", List.of(n.getInput(1), e.op("Sqrt", List.of(e.op("Add", List.of(n.getInput(4),
                e.scalar(eps, type)))))));
        String shift = e.op("Sub", List.of(n.getInput(2), e.op("Mul", List.of(n.getInput(3), a))));
        String scaled = e.op("Mul", List.of(n.getInput(0), a));
        return List.of(NodeProto.newBuilder().setOpType("Add").setName(n.getName()).addInput(scaled)
                .addInput(shift).addOutput(n.getOutput(0)).build());
    }

    /** Upsample (7 to 9) and Resize-10 as Resize-11: asymmetric coordinates, nearest rounding down. */
    private static NodeProto resize(NodeProto n, GraphEmitter e) {
        String scales;
        if (n.getInputCount() > 1) {
            scales = n.getInput(1);
        } else {
            AttributeProto a = Attr.find(n, "scales").orElseThrow(() -> Unsupported.error(n, 7,
                    "it has neither a scales input nor a scales attribute"));
            double[] v = a.getFloatsList().stream().mapToDouble(Float::doubleValue).toArray();
            scales = e.floats(ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE, new long[] {v.length}, v);
        }
        String mode = Attr.getString(n, "mode", "nearest");
        String roi = e.floats(ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE, new long[] {0}, new double[0]);
        return NodeProto.newBuilder().setOpType("Resize").setName(n.getName()).addInput(n.getInput(0)).addInput(roi)
                .addInput(scales).addOutput(n.getOutput(0))
                .addAttribute(Attr.s("mode", mode.equals("bilinear") ? "linear" : mode))
                .addAttribute(Attr.s("coordinate_transformation_mode", "asymmetric"))
                .addAttribute(Attr.s("nearest_mode", "floor")).build();
    }

    private boolean crosses(int version) {
        return from < version && to >= version;
    }

    private List<NodeProto> upgradeNode(NodeProto n, boolean topLevel) {
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            return List.of(n);
        }
        String op = n.getOpType();
        if (crosses(13) && (op.equals("Squeeze") || op.equals("Unsqueeze") || op.equals("ReduceSum"))) {
            return List.of(attributeToInput(n, "axes", 1));
        }
        if (crosses(13) && op.equals("Split")) {
            return List.of(attributeToInput(n, "split", 1));
        }
        if (crosses(13) && (op.equals("Softmax") || op.equals("LogSoftmax") || op.equals("Hardmax"))) {
            return softmax(n, topLevel);
        }
        if (crosses(12) && op.equals("Dropout") && Attr.find(n, "ratio").isPresent()) {
            float ratio = Attr.getFloat(n, "ratio", 0.5f);
            NodeProto d = Attr.without(n, "ratio");
            TensorMeta m = topLevel ? metas.apply(n.getInput(0)) : null;
            int type = m == null ? ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE : m.elemType();
            return List.of(d.toBuilder().addInput(emitter.scalar(ratio, type)).build());
        }
        if (crosses(16) && op.equals("RoiAlign") && Attr.find(n, "coordinate_transformation_mode").isEmpty()) {
            return List.of(n.toBuilder().addAttribute(Attr.s("coordinate_transformation_mode", "output_half_pixel"))
                    .build());
        }
        return List.of(n);
    }

    private NodeProto attributeToInput(NodeProto n, String attr, int position) {
        long[] values = Attr.getInts(n, attr, null);
        if (values == null) {
            return n;
        }
        NodeProto.Builder b = Attr.without(n, attr).toBuilder();
        while (b.getInputCount() < position) {
            b.addInput("");
        }
        return b.addInput(emitter.longs(values)).build();
    }

    /** Before opset 13 these ops flattened the input to 2-D at {@code axis} (default 1). */
    private List<NodeProto> softmax(NodeProto n, boolean topLevel) {
        long axis = Attr.getInt(n, "axis", 1);
        TensorMeta m = topLevel ? metas.apply(n.getInput(0)) : null;
        if (m == null) {
            if (axis == -1) {
                return List.of(n);
            }
            throw Unsupported.error(n, from, "inside a subgraph its opset-" + from
                    + " semantics cannot be rewritten for opset " + to);
        }
        int rank = m.rank();
        int a = RuleContext.axis(axis, rank);
        NodeProto withAxis = Attr.without(n, "axis").toBuilder().addAttribute(Attr.i("axis", -1)).build();
        if (a == rank - 1) {
            return List.of(withAxis);
        }
        if (a < 0 || a > rank) {
            throw Explain4jException.unsupported("--model", "node '" + n.getName() + "' has axis " + axis
                    + " outside its input's rank " + rank);
        }
        String flat = emitter.fresh("flat");
        String soft = emitter.fresh("soft");
        NodeProto f = NodeProto.newBuilder().setOpType("Flatten").setName(emitter.fresh("upgrade"))
                .addInput(n.getInput(0)).addOutput(flat).addAttribute(Attr.i("axis", a)).build();
        NodeProto s = withAxis.toBuilder().setInput(0, flat).setOutput(0, soft).build();
        NodeProto r = NodeProto.newBuilder().setOpType("Reshape").setName(emitter.fresh("upgrade"))
                .addInput(soft).addInput(emitter.longs(m.shape())).addOutput(n.getOutput(0)).build();
        return List.of(f, s, r);
    }
}
