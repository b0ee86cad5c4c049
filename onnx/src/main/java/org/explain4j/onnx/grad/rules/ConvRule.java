package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Conv with respect to its input. With unit strides (most of a ResNet) the gradient is itself a
 * convolution: the weights with input and output channels swapped (per group) and the kernel
 * flipped, padded by {@code dilation * (k - 1) - pad}; the weight transform reads only the
 * initializer, so ONNX Runtime folds it once when the session is created, and the backward pass
 * runs on the fast Conv kernels. With equal 2-D strides and blocked-layout tensors it is one such
 * convolution per output phase, interleaved by DepthToSpace ({@link Polyphase}). Otherwise
 * (other strides, or pads wider than the window) it is a ConvTranspose with the same weights,
 * strides, dilations and group, whose pads and output_padding recover exactly the input's size.
 * Weights and bias get no gradient.
 */
public final class ConvRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        long[] w = c.inputShape(1);
        c.addGrad(0, inputGradient(c, new Windows(c, Arrays.copyOfRange(w, 2, w.length)), c.grad(0), c.input(1)));
    }

    /**
     * The vector-Jacobian product with respect to the data input of the Conv of {@code c}
     * (geometry {@code win}) with weights {@code weights} (of the shape of the node's weights,
     * e.g. the node's own or an LRP rule's modified ones), applied to {@code g} (the output's
     * shape): a convolution with flipped weights, phase convolutions ({@link Polyphase}), or a
     * ConvTranspose, as described above.
     */
    public static String inputGradient(RuleContext c, Windows win, String g, String weights) {
        long[] w = c.inputShape(1);
        long group = c.attrInt("group", 1);
        long[] pads = flippedPads(win);
        String gx;
        if (pads != null) {
            gx = c.op("Conv", List.of(g, flippedWeights(c, weights, w, group)),
                    Attr.ints("kernel_shape", win.kernel), Attr.ints("strides", Windows.ones(win.kernel.length)),
                    Attr.ints("dilations", win.dilations), Attr.ints("pads", pads), Attr.i("group", group));
        } else if ((gx = Polyphase.inputGradient(c, win, g, weights, w, group)) != null) {
            // strided, as convolutions of the phases: blocked kernels, no ConvTranspose
        } else {
            gx = transposed(c, win, g, weights);
            if (Blocked.eligible(c, c.meta(c.input(0)))) {
                // ConvTranspose runs in plain NCHW: an identity depthwise convolution brings the
                // gradient back into the blocked layout before it meets the sums and masks below
                gx = Blocked.scale(c, gx, c.inputShape(0)[1], 1.0);
            }
        }
        return gx;
    }

    /** The same product as one ConvTranspose with the Conv's geometry (the propagation rules' earlier form). */
    public static String transposed(RuleContext c, Windows win, String g, String weights) {
        return c.op("ConvTranspose", List.of(g, weights),
                Attr.ints("kernel_shape", win.kernel), Attr.ints("strides", win.strides),
                Attr.ints("dilations", win.dilations), Attr.ints("pads", win.transposePads()),
                Attr.ints("output_padding", win.outputPadding()), Attr.i("group", c.attrInt("group", 1)));
    }

    /** The pads of the equivalent convolution, or null when it does not exist (strides, or negative pads). */
    private static long[] flippedPads(Windows win) {
        int n = win.kernel.length;
        long[] p = new long[2 * n];
        for (int i = 0; i < n; i++) {
            long reach = win.dilations[i] * (win.kernel[i] - 1);
            p[i] = reach - win.padBegin[i];
            p[i + n] = reach - win.padEnd[i];
            long rebuilt = win.out[i] + p[i] + p[i + n] - reach;
            if (win.strides[i] != 1 || p[i] < 0 || p[i + n] < 0 || rebuilt != win.in[i]) {
                return null;
            }
        }
        return p;
    }

    /** W [M, C/g, k...] to W' [C, M/g, k...] (channels swapped per group) with every spatial axis reversed. */
    static String flippedWeights(RuleContext c, String weights, long[] w, long group) {
        int spatial = w.length - 2;
        long m = w[0];
        long cg = w[1];
        long[] grouped = new long[w.length + 1];
        grouped[0] = group;
        grouped[1] = m / group;
        grouped[2] = cg;
        System.arraycopy(w, 2, grouped, 3, spatial);
        long[] perm = new long[grouped.length];
        perm[0] = 0;
        perm[1] = 2;
        perm[2] = 1;
        for (int i = 3; i < perm.length; i++) {
            perm[i] = i;
        }
        long[] swapped = new long[w.length];
        swapped[0] = group * cg;
        swapped[1] = m / group;
        System.arraycopy(w, 2, swapped, 2, spatial);
        String t = c.op("Transpose", c.reshape(weights, grouped), Attr.ints("perm", perm));
        String s = c.reshape(t, swapped);
        long[] starts = new long[spatial];
        long[] ends = new long[spatial];
        long[] axes = new long[spatial];
        long[] steps = new long[spatial];
        for (int i = 0; i < spatial; i++) {
            starts[i] = -1;
            ends[i] = Long.MIN_VALUE;
            axes[i] = i + 2;
            steps[i] = -1;
        }
        return c.op("Slice", List.of(s, c.longs(starts), c.longs(ends), c.longs(axes), c.longs(steps)));
    }
}
