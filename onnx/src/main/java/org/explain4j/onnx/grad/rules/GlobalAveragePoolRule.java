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
        double scale = 1.0 / spatial;
        if (Blocked.eligible(c, c.meta(c.input(0)))) {
            // the same product, as a depthwise convolution after the Expand: the gradient enters the
            // convolutions below in ONNX Runtime's blocked layout
            c.addGrad(0, Blocked.scale(c, c.op("Expand", c.grad(0), c.longs(x)), x[1], scale));
            return;
        }
        String scaled = c.op("Mul", c.grad(0), c.scalar(scale, c.inputType(0)));
        c.addGrad(0, c.op("Expand", scaled, c.longs(x)));
    }
}
