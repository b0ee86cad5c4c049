package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.MethodCatalog;

/** The one-line errors for operations the backward graph cannot handle. */
public final class Unsupported {
    private Unsupported() {
    }

    /**
     * The one sentence every "cannot differentiate this" message ends with: the perturbation
     * methods that still work on the model.
     */
    public static String perturbationHint() {
        return "the perturbation methods (" + String.join(", ", MethodCatalog.perturbationMethods()) + ") still work on this model";
    }

    static String describe(NodeProto node, int opset) {
        String domain = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx") ? "" : node.getDomain() + ".";
        String name = node.getName().isEmpty() ? "(unnamed, output '" + node.getOutput(0) + "')" : "'" + node.getName() + "'";
        return "ONNX op " + domain + node.getOpType() + " (node " + name + ", opset " + opset + ")";
    }

    /**
     * No rule for the ops of these nodes (in graph order): one sentence naming every op type
     * once, with its first node, how many nodes use it, and the opset.
     */
    static Explain4jException noRule(List<NodeProto> nodes, int opset) {
        Map<String, List<NodeProto>> byOp = new LinkedHashMap<>();
        for (NodeProto n : nodes) {
            byOp.computeIfAbsent(RuleRegistry.key(n), k -> new ArrayList<>()).add(n);
        }
        List<String> parts = new ArrayList<>();
        for (List<NodeProto> same : byOp.values()) {
            String d = describe(same.get(0), opset);
            parts.add(same.size() == 1 ? d : d.replace("(node ", "(" + same.size() + " nodes, first "));
        }
        String which = byOp.size() == 1 ? "for " + parts.get(0) + ", which lies"
                : "for " + byOp.size() + " op types: " + String.join("; ", parts) + ", which lie";
        return Explain4jException.unsupported("--model", "explain4j has no backward rule " + which
                + " on the gradient path, so gradient methods cannot run on this model; " + perturbationHint());
    }

    /** The rule exists but cannot handle this use of the op. */
    static Explain4jException error(NodeProto node, int opset, String why) {
        return Explain4jException.unsupported("--model", "the backward rule for " + describe(node, opset)
                + " cannot handle it: " + why + "; " + perturbationHint());
    }
}
