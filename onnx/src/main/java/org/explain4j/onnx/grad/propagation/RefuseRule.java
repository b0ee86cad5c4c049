package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;
import org.explain4j.onnx.grad.Unsupported;

/**
 * The rule of every op a strict rule set (DeepLIFT, LRP) does not model: building the graph fails
 * with one line naming the op, the node and the opset, and what still works. Never a silent
 * gradient.
 */
final class RefuseRule implements OpRule {
    private final java.util.Set<String> gradientOps;

    /** @param gradientOps the op types that have a gradient rule (gradient methods work through them) */
    RefuseRule(java.util.Set<String> gradientOps) {
        this.gradientOps = java.util.Set.copyOf(gradientOps);
    }

    /** What still works on a model with such an op. */
    static String alternatives() {
        return "use a gradient method (saliency, input-x-gradient, integrated-gradients); "
                + Unsupported.perturbationHint();
    }

    @Override
    public void backward(RuleContext c) {
        String why = "";
        if (c.opType().equals("BatchNormalization")) {
            why = " (a BatchNormalization is folded into the Conv or Gemm before it when it is that layer's only"
                    + " consumer, runs in inference mode and has constant parameters; this one could not be folded)";
        }
        throw new Refusal(c.opType() + " node '" + c.nodeName() + "' (opset " + c.opset()
                + ") has no rule in this rule set" + why + "; " + (gradientOps.contains(org.explain4j.onnx.grad.RuleRegistry.key(c.node())) ? alternatives()
                : "it has no backward rule either, so gradient methods fail on it too; " + Unsupported.perturbationHint()));
    }
}
