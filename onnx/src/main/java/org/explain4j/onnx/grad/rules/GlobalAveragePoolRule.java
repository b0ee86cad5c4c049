package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** GlobalAveragePool: the gradient divided by the spatial size, expanded over the input. */
final class GlobalAveragePoolRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        long[] x = c.inputShape(0);
        long spatial = 1;
        for (int i = 2; i < x.length; i++) {
            spatial *= x[i];
        }
        String scaled = c.op("Mul", c.grad(0), c.scalar(1.0 / spatial, c.inputType(0)));
        c.addGrad(0, c.op("Expand", scaled, c.longs(x)));
    }
}
