package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Relu: the gradient passes where the input is positive (zero at 0, as in PyTorch). The mask is
 * read from the Relu's output ({@code y > 0} exactly where {@code x > 0}), so the forward part
 * keeps only the output alive and ONNX Runtime can still fuse the Relu into the Conv before it.
 */
final class ReluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String zero = c.scalar(0, c.inputType(0));
        String positive = c.op("Greater", c.output(0), zero);
        c.addGrad(0, c.op("Where", List.of(positive, c.grad(0), zero)));
    }
}
