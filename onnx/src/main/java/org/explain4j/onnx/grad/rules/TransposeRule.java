package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/** Transpose: the gradient transposed by the inverse permutation. */
final class TransposeRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int rank = c.inputShape(0).length;
        long[] perm = c.attrInts("perm", null);
        if (perm == null) {
            perm = new long[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = rank - 1 - i;
            }
        }
        long[] inverse = new long[rank];
        for (int i = 0; i < rank; i++) {
            inverse[(int) perm[i]] = i;
        }
        c.addGrad(0, c.op("Transpose", c.grad(0), Attr.ints("perm", inverse)));
    }
}
