package org.explain4j.onnx.grad.rules;

import java.util.ArrayList;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Split: the outputs' gradients (zeros where none flows) concatenated along the split axis. */
final class SplitRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int axis = RuleContext.axis(c.attrInt("axis", 0), c.inputShape(0).length);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < c.node().getOutputCount(); i++) {
            parts.add(c.gradOrZeros(i));
        }
        c.addGrad(0, parts.size() == 1 ? parts.get(0) : c.op("Concat", parts, Attr.i("axis", axis)));
    }
}
