package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Cast between floating types: the gradient is cast back to the input's type. (A cast to or from
 * an integer type never lies on a gradient path: integer tensors carry no gradient.)
 */
final class CastRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String g = c.grad(0);
        if (c.inputType(0) != c.meta(c.output(0)).elemType()) {
            g = c.op("Cast", g, Attr.i("to", c.inputType(0)));
        }
        c.addGrad(0, g);
    }
}
