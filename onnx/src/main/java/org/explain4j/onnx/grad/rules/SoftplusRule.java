package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Softplus: {@code g * sigmoid(x)}. */
final class SoftplusRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, c.op("Mul", c.grad(0), c.op("Sigmoid", c.input(0))));
    }
}
