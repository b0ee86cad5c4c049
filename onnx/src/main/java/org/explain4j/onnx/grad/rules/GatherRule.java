package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Gather (e.g. an embedding lookup) with respect to its data: the gradient rows are scatter-added
 * into zeros at the gathered positions (ScatterND with reduction "add", opset 16), so repeated
 * indices accumulate. The gathered axis is moved to the front and back around the scatter. The
 * integer indices carry no gradient.
 */
final class GatherRule implements OpRule {
    @Override
    public int minOpset() {
        return 16;
    }

    @Override
    public void backward(RuleContext c) {
        long[] data = c.inputShape(0);
        long[] idx = c.inputShape(1);
        int rank = data.length;
        int a = RuleContext.axis(c.attrInt("axis", 0), rank);
        int ri = idx.length;
        long rows = Arrays.stream(idx).reduce(1, (x, y) -> x * y);
        // the gradient's index axes [a, a + ri) go first
        long[] perm = new long[rank - 1 + ri];
        int p = 0;
        for (int i = 0; i < ri; i++) {
            perm[p++] = a + i;
        }
        for (int i = 0; i < perm.length; i++) {
            if (i < a || i >= a + ri) {
                perm[p++] = i;
            }
        }
        String g = c.grad(0);
        // a scalar index (x[:, 0]) makes this perm the identity: RuleContext.op then emits no Transpose
        if (a > 0) {
            g = c.op("Transpose", g, Attr.ints("perm", perm));
        }
        long[] moved = new long[rank];
        moved[0] = data[a];
        for (int i = 0, j = 1; i < rank; i++) {
            if (i != a) {
                moved[j++] = data[i];
            }
        }
        long[] updates = moved.clone();
        updates[0] = rows;
        String flatIdx = c.reshape(normalised(c, data[a]), new long[] {rows, 1});
        String zeros = c.zeros(moved, c.inputType(0));
        String sums = c.op("ScatterND", List.of(zeros, flatIdx, c.reshape(g, updates)), Attr.s("reduction", "add"));
        if (a > 0) {
            long[] back = new long[rank];
            for (int i = 0; i < rank; i++) {
                back[i] = i < a ? i + 1 : i == a ? 0 : i;
            }
            sums = c.op("Transpose", sums, Attr.ints("perm", back));
        }
        c.addGrad(0, sums);
    }

    /** The indices as int64, negative ones counted from the end. */
    private static String normalised(RuleContext c, long size) {
        String i = c.op("Cast", c.input(1), Attr.i("to", 7));
        String negative = c.op("Less", i, c.longs(0));
        return c.op("Where", List.of(negative, c.op("Add", i, c.longs(size)), i));
    }
}
