package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;
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

    /** No rule for the node's op at all. */
    static Explain4jException noRule(NodeProto node, int opset) {
        return Explain4jException.unsupported("--model", "explain4j has no backward rule for " + describe(node, opset)
                + ", which lies on the gradient path, so gradient methods cannot run on this model; "
                + perturbationHint());
    }

    /** The rule exists but cannot handle this use of the op. */
    static Explain4jException error(NodeProto node, int opset, String why) {
        return Explain4jException.unsupported("--model", "the backward rule for " + describe(node, opset)
                + " cannot handle it: " + why + "; " + perturbationHint());
    }
}
