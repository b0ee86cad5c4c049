package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Concat: each input gets its slice of the gradient along the concatenation axis. */
final class ConcatRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int rank = c.outputShape(0).length;
        int axis = RuleContext.axis(c.attrInt("axis", 0), rank);
        long offset = 0;
        for (int i = 0; i < c.inputCount(); i++) {
            long size = c.inputShape(i)[axis];
            if (c.needsGrad(i)) {
                String g = c.op("Slice", List.of(c.grad(0), c.longs(offset), c.longs(offset + size), c.longs(axis)));
                c.addGrad(i, g);
            }
            offset += size;
        }
    }
}
