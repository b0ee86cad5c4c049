package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Dropout (ONNX opset 7-22) where it is the identity: in inference (training_mode, an input from
 * opset 12, absent or false; before 12 there is no training mode at inference) or with a ratio
 * of 0 in training mode (torchvision's Swin exports {@code Dropout(ratio=0, training_mode=True)};
 * ONNX Runtime then copies the input and the mask is all true). A training-mode Dropout with a
 * ratio above 0, or one whose ratio is not a constant, drops random elements, which no gradient
 * can explain, and is refused. The mask output carries no gradient (it is boolean).
 */
final class DropoutRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        if (c.opset() >= 12 && c.hasInput(2)) {
            long[] training = c.constantInput(2);
            if (training.length > 0 && training[0] != 0) {
                double ratio = ratio(c);
                if (ratio != 0) {
                    throw c.unsupported("it runs in training mode (random dropout"
                            + (Double.isNaN(ratio) ? ", ratio not a constant" : ", ratio " + ratio)
                            + "); export the model in eval mode");
                }
            }
        }
        c.addGrad(0, c.grad(0));
    }

    /** The ratio input's value (0.5 when absent), or NaN when it is not known before the model runs. */
    private static double ratio(RuleContext c) {
        if (!c.hasInput(1)) {
            return 0.5;
        }
        double[] r = c.constantFloats(1);
        return r == null || r.length != 1 ? Double.NaN : r[0];
    }
}
