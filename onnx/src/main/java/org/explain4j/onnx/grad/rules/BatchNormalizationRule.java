package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * BatchNormalization in inference mode: {@code g * scale / sqrt(var + epsilon)} per channel
 * (axis 1). Training mode (batch statistics) is refused.
 */
final class BatchNormalizationRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        boolean training = c.attrInt("training_mode", 0) != 0;
        for (int i = 1; i < c.node().getOutputCount(); i++) {
            training |= !c.output(i).isEmpty();
        }
        if (training) {
            throw c.unsupported("training mode (batch statistics); export the model in eval mode");
        }
        for (int i = 1; i <= 4; i++) {
            c.requireNoGrad(i);
        }
        int t = c.inputType(0);
        long[] x = c.inputShape(0);
        String std = c.op("Sqrt", c.op("Add", c.input(4), c.scalar(c.attrFloat("epsilon", 1e-5f), t)));
        String factor = c.op("Div", c.input(1), std);
        long[] perChannel = new long[x.length];
        java.util.Arrays.fill(perChannel, 1);
        perChannel[1] = x[1];
        c.addGrad(0, c.op("Mul", c.grad(0), c.reshape(factor, perChannel)));
    }
}
