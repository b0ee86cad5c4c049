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
