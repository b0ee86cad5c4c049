package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small structural helpers over ONNX nodes, including the subgraphs of control-flow nodes. */
final class Graphs {
    private Graphs() {
    }

    /** The node's explicit inputs and the outer-scope tensors its subgraphs read. */
    static List<String> allInputs(NodeProto n) {
        List<String> in = new ArrayList<>();
        for (String s : n.getInputList()) {
            if (!s.isEmpty()) {
                in.add(s);
            }
        }
        in.addAll(implicitInputs(n));
        return in;
    }

    /** Names used inside the node's subgraphs that those subgraphs do not define. */
    static Set<String> implicitInputs(NodeProto n) {
        Set<String> out = new LinkedHashSet<>();
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                out.addAll(freeNames(a.getG()));
            }
            for (GraphProto g : a.getGraphsList()) {
                out.addAll(freeNames(g));
            }
        }
        return out;
    }

    private static Set<String> freeNames(GraphProto g) {
        Set<String> defined = new HashSet<>();
        g.getInputList().forEach(v -> defined.add(v.getName()));
        g.getInitializerList().forEach(t -> defined.add(t.getName()));
        Set<String> free = new LinkedHashSet<>();
        for (NodeProto n : g.getNodeList()) {
            for (String s : allInputs(n)) {
                if (!defined.contains(s)) {
                    free.add(s);
                }
            }
            defined.addAll(n.getOutputList());
        }
        g.getOutputList().forEach(v -> {
            if (!defined.contains(v.getName())) {
                free.add(v.getName());
            }
        });
        return free;
    }

    /** The node with every input (also inside subgraphs) named in {@code renames} replaced. */
    static NodeProto renameInputs(NodeProto n, Map<String, String> renames) {
        NodeProto.Builder b = n.toBuilder();
        for (int i = 0; i < b.getInputCount(); i++) {
            String r = renames.get(b.getInput(i));
            if (r != null) {
                b.setInput(i, r);
            }
        }
        for (int i = 0; i < b.getAttributeCount(); i++) {
            AttributeProto a = b.getAttribute(i);
            if (a.hasG() || a.getGraphsCount() > 0) {
                AttributeProto.Builder ab = a.toBuilder();
                if (a.hasG()) {
                    ab.setG(renameInputs(a.getG(), renames));
                }
                for (int j = 0; j < a.getGraphsCount(); j++) {
                    ab.setGraphs(j, renameInputs(a.getGraphs(j), renames));
                }
                b.setAttribute(i, ab);
            }
        }
        return b.build();
    }

    private static GraphProto renameInputs(GraphProto g, Map<String, String> renames) {
        GraphProto.Builder b = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            b.addNode(renameInputs(n, renames));
        }
        return b.build();
    }
}
