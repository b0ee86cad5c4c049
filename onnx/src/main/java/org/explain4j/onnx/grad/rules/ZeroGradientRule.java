package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Ops whose output carries no gradient to their inputs: constants, shape computations, and
 * piecewise-constant functions (Floor, Ceil, Round, Sign) whose derivative is zero almost
 * everywhere.
 */
final class ZeroGradientRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        // nothing flows back
    }
}
