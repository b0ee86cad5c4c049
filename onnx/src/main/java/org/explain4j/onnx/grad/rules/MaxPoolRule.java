package org.explain4j.onnx.grad.rules;

import ai.onnx.proto.OnnxMl.AttributeProto;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * MaxPool: the forward node is asked for its Indices output (positions in the whole input,
 * flattened), and the gradient is scatter-added into a zero tensor of the input's size, so that
 * overlapping windows that pick the same element accumulate. Needs opset 16 (ScatterElements
 * with reduction "add").
 */
final class MaxPoolRule implements OpRule {
    @Override
    public int minOpset() {
        return 16;
    }

    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, unpool(c, c.grad(0)));
    }

    /** {@code g} (the output's shape) scatter-added at each window's chosen element into zeros of the input's shape. */
    static String unpool(RuleContext c, String g) {
        if (c.attrInt("storage_order", 0) != 0) {
            throw c.unsupported("storage_order=1 (column-major indices)");
        }
        long[] x = c.inputShape(0);
        long inSize = 1;
        for (long d : x) {
            inSize *= d;
        }
        long outSize = 1;
        for (long d : c.outputShape(0)) {
            outSize *= d;
        }
        String indices = c.reshape(indices(c), new long[] {outSize});
        String updates = c.reshape(g, new long[] {outSize});
        String zeros = c.zeros(new long[] {inSize}, c.inputType(0));
        String scattered = c.op("ScatterElements", List.of(zeros, indices, updates),
                Attr.i("axis", 0), Attr.s("reduction", "add"));
        return c.reshape(scattered, x);
    }

    /**
     * The Indices output. A MaxPool asked for its indices runs ONNX Runtime's plain kernel, not
     * the blocked one, and its output then drags the ops after it (a ResNet's first residual
     * stage) out of the blocked layout; for blocked-eligible inputs a second MaxPool computes the
     * indices and the forward one stays as it is.
     */
    private static String indices(RuleContext c) {
        if (!Blocked.eligible(c, c.meta(c.input(0)))) {
            return c.forwardOutput(1);
        }
        return c.ops("MaxPool", List.of(c.input(0)), 2,
                c.node().getAttributeList().toArray(new AttributeProto[0])).get(1);
    }
}
