package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** The {@code gradient} rule of an op type that has no gradient rule: fails when the graph is built. */
final class NoGradientRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        throw new Refusal(c.opType() + " node '" + c.nodeName() + "' (opset " + c.opset()
                + ") has no gradient rule in explain4j, but the rule set asks for its gradient; "
                + "the perturbation methods (occlusion, feature-ablation, shapley-value-sampling, kernel-shap,"
                + " lime) still work on this model");
    }
}
