package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Dropout in inference: the identity. A Dropout whose training_mode input (opset 12+) is a
 * constant true drops random elements, which no gradient can explain, and is refused.
 */
final class DropoutRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        if (c.opset() >= 12 && c.hasInput(2)) {
            long[] training = c.constantInput(2);
            if (training.length > 0 && training[0] != 0) {
                throw c.unsupported("it runs in training mode (random dropout); export the model in eval mode");
            }
        }
        c.addGrad(0, c.grad(0));
    }
}
