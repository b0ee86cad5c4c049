package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Element-wise Max and Min (ONNX opset 8+: variadic, numpy broadcasting): the gradient goes to
 * the inputs that equal the output, split evenly among ties ({@code g / k} to each of the k
 * inputs that reach the extreme), then summed back over the axes an input was broadcast along.
 * This is PyTorch's convention for {@code torch.maximum}/{@code torch.minimum} (a tie of two gets
 * half each), extended to more inputs; ONNX Runtime has no gradient of its own for these ops.
 */
final class MaxMinRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.meta(c.output(0)).elemType();
        long[] out = c.outputShape(0);
        int n = c.inputCount();
        String[] hits = new String[n];
        String count = null;
        for (int i = 0; i < n; i++) {
            if (!c.hasInput(i)) {
                continue;
            }
            hits[i] = c.op("Cast", c.op("Equal", c.input(i), c.output(0)), Attr.i("to", t));
            count = count == null ? hits[i] : c.op("Add", count, hits[i]);
        }
        String share = c.op("Div", c.grad(0), count);
        for (int i = 0; i < n; i++) {
            if (c.needsGrad(i)) {
                String g = c.op("Mul", share, hits[i]);
                c.addGrad(i, c.unbroadcast(g, out, c.inputShape(i)));
            }
        }
    }
}
