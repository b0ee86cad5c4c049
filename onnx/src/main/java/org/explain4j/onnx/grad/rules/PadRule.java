package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Pad in constant mode: the gradient cropped back to the input's region (and zero-padded where
 * negative pads had cropped the input). The pads must be known when the graph is built.
 */
final class PadRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String mode = c.attrString("mode", "constant");
        if (!mode.equals("constant")) {
            throw c.unsupported("mode '" + mode + "' (only constant padding has a rule)");
        }
        c.requireNoGrad(2);
        long[] in = c.inputShape(0);
        long[] out = c.outputShape(0);
        int rank = in.length;
        long[] given = c.constantInput(1);
        long[] axes = c.hasInput(3) ? c.constantInput(3) : null;
        long[] begin = new long[rank];
        long[] end = new long[rank];
        int n = axes == null ? rank : axes.length;
        for (int k = 0; k < n; k++) {
            int a = axes == null ? k : RuleContext.axis(axes[k], rank);
            begin[a] = given[k];
            end[a] = given[k + n];
        }
        long[] starts = new long[rank];
        long[] ends = new long[rank];
        long[] back = new long[2 * rank];
        long[] all = new long[rank];
        for (int a = 0; a < rank; a++) {
            all[a] = a;
            starts[a] = Math.max(begin[a], 0);
            ends[a] = out[a] - Math.max(end[a], 0);
            back[a] = Math.max(-begin[a], 0);
            back[a + rank] = Math.max(-end[a], 0);
        }
        String g = c.op("Slice", List.of(c.grad(0), c.longs(starts), c.longs(ends), c.longs(all)));
        if (Arrays.stream(back).anyMatch(p -> p != 0)) {
            g = c.op("Pad", g, c.longs(back));
        }
        c.addGrad(0, g);
    }
}
