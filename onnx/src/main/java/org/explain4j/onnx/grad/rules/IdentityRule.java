package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Identity: the gradient passes unchanged. */
final class IdentityRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, c.grad(0));
    }
}
