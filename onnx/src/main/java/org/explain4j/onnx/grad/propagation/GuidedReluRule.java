package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Relu in guided backpropagation (Springenberg et al., 2015): {@code relu(g) * (x > 0)}; in
 * deconvolution (Zeiler and Fergus, 2014): {@code relu(g)}, regardless of the input. As Captum's
 * {@code GuidedBackprop} and {@code Deconvolution}.
 */
final class GuidedReluRule implements OpRule {
    private final boolean deconvolution;

    GuidedReluRule(boolean deconvolution) {
        this.deconvolution = deconvolution;
    }

    @Override
    public void backward(RuleContext c) {
        String positiveGrad = c.op("Relu", c.grad(0));
        if (deconvolution) {
            c.addGrad(0, positiveGrad);
            return;
        }
        String zero = c.scalar(0, c.inputType(0));
        String active = c.op("Greater", c.input(0), zero);
        c.addGrad(0, c.op("Where", List.of(active, positiveGrad, zero)));
    }
}
