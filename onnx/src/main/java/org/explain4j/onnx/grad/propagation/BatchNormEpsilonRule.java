package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * LRP-epsilon at an inference BatchNormalization that could not be folded into a layer before it
 * (DenseNet's BN-ReLU-Conv after a concatenation): the per-channel affine layer
 * {@code y = k x + (beta - k mean)}, {@code k = scale / sqrt(var + eps)}, as a diagonal linear
 * layer, {@code R_x = x * k * R / stabilize(y)}. Conserves relevance where the effective bias
 * {@code beta - k mean} is 0. Parameter {@code stabilizer} (else {@code epsilon}), 1e-9 by default.
 */
final class BatchNormEpsilonRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        if (c.attrInt("training_mode", 0) != 0 || c.node().getOutputCount() > 1) {
            throw c.unsupported("the epsilon rule needs a BatchNormalization in inference mode");
        }
        for (int i = 1; i < 5; i++) {
            c.requireNoGrad(i);
        }
        int t = c.inputType(0);
        long[] x = c.inputShape(0);
        long[] channel = new long[x.length];
        java.util.Arrays.fill(channel, 1);
        channel[1] = x[1];
        String std = c.op("Sqrt", Emit.add(c, c.input(4), c.scalar(c.attrFloat("epsilon", 1e-5f), t)));
        String k = c.reshape(c.op("Div", c.input(1), std), channel);
        String s = Emit.divideStabilized(c, c.grad(0), c.output(0), Emit.stabilizer(c, 1e-9), t);
        c.addGrad(0, Emit.mul(c, c.input(0), Emit.mul(c, k, s)));
    }
}
