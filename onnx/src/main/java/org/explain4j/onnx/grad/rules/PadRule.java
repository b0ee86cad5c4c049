package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Pad (ONNX opset 11-21). In constant mode the gradient is cropped back to the input's region (and
 * zero-padded where negative pads had cropped the input). In reflect mode (the vector mirrored on
 * its first and last values, which are not repeated), edge mode (the edge values repeated) and
 * wrap mode (opset 19, the vector repeated cyclically) every output element copies one input
 * element, separably per axis (negative pads crop first), so the gradient is each axis's 0/1 copy matrix transposed
 * ({@link AxisMaps}): the padded positions' gradients are added to the elements they copied. The
 * pads (and axes, opset 18) must be known when the graph is built.
 */
final class PadRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        String mode = c.attrString("mode", "constant");
        if (!List.of("constant", "reflect", "edge", "wrap").contains(mode)) {
            throw c.unsupported("mode '" + mode + "' is not an ONNX Pad mode (constant, reflect, edge, wrap)");
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
        if (!mode.equals("constant")) {
            double[][][] maps = new double[rank][][];
            for (int a = 0; a < rank; a++) {
                if (begin[a] != 0 || end[a] != 0) {
                    maps[a] = AxisMaps.selection(sources(c, mode, begin[a], end[a], in[a], out[a]), (int) in[a]);
                }
            }
            c.addGrad(0, AxisMaps.transposedApply(c, c.grad(0), out, maps, c.inputType(0)));
            return;
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

    /**
     * The input position each output position copies along one axis. Negative pads crop first
     * (as ONNX Runtime does), so the padding modes work on the kept range {@code [lo, hi)}.
     */
    private static int[] sources(RuleContext c, String mode, long begin, long end, long in, long out) {
        long lo = Math.max(-begin, 0);
        long n = in - Math.max(-end, 0) - lo;
        long before = Math.max(begin, 0);
        int[] src = new int[Math.toIntExact(out)];
        for (int o = 0; o < src.length; o++) {
            long p = o - before;
            if (p < 0 || p >= n) {
                switch (mode) {
                    case "edge" -> p = Math.min(Math.max(p, 0), n - 1);
                    case "wrap" -> p = Math.floorMod(p, n);
                    default -> {
                        if (n == 1) {
                            throw c.unsupported("reflect padding of an axis of size 1");
                        }
                        long period = 2 * (n - 1);
                        p = Math.floorMod(p, period);
                        p = p < n ? p : period - p;
                    }
                }
            }
            src[o] = (int) (lo + p);
        }
        return src;
    }
}
