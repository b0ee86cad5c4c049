package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Where: the gradient goes to the branch each element was taken from (the boolean condition gets none). */
final class WhereRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String zero = c.scalar(0, c.meta(c.output(0)).elemType());
        long[] out = c.outputShape(0);
        if (c.needsGrad(1)) {
            String g = c.op("Where", List.of(c.input(0), c.grad(0), zero));
            c.addGrad(1, c.unbroadcast(g, out, c.inputShape(1)));
        }
        if (c.needsGrad(2)) {
            String g = c.op("Where", List.of(c.input(0), zero, c.grad(0)));
            c.addGrad(2, c.unbroadcast(g, out, c.inputShape(2)));
        }
    }
}
