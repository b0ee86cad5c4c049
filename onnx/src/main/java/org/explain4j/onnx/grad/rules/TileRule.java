package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Tile (ONNX opset 6-13): along axis a the output is {@code repeats[a]} copies of the input laid
 * end to end, so the output viewed as {@code [r0, d0, r1, d1, ...]} holds copy {@code (r0, r1, ...)}
 * of element {@code (d0, d1, ...)}, and the gradient is that view summed over the copy axes. The
 * repeats must be known when the graph is built.
 */
final class TileRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        long[] in = c.inputShape(0);
        long[] repeats = c.constantInput(1);
        long[] view = new long[2 * in.length];
        long[] copies = new long[in.length];
        for (int a = 0; a < in.length; a++) {
            view[2 * a] = repeats[a];
            view[2 * a + 1] = in[a];
            copies[a] = 2L * a;
        }
        String summed = c.reduceSum(c.reshape(c.grad(0), view), copies, false);
        c.addGrad(0, c.reshape(summed, in));
    }
}
