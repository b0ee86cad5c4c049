package org.explain4j.onnx.grad.propagation;

import java.util.Arrays;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * The incoming gradient or relevance goes unchanged to the data input (input 0): Zennit's
 * {@code Pass} for elementwise activations. Other inputs (slopes, bounds) get nothing. A Dropout
 * is checked by its gradient rule first, which refuses training mode.
 */
final class PassRule implements OpRule {
    private final OpRule dropout;

    PassRule(OpRule dropout) {
        this.dropout = dropout;
    }

    @Override
    public void backward(RuleContext c) {
        if (c.opType().equals("Dropout")) {
            dropout.backward(c);
            return;
        }
        if (!Arrays.equals(c.inputShape(0), c.outputShape(0))) {
            throw c.unsupported("the pass rule needs an elementwise op, but its input has shape "
                    + Arrays.toString(c.inputShape(0)) + " and its output " + Arrays.toString(c.outputShape(0)));
        }
        c.addGrad(0, c.grad(0));
    }
}
