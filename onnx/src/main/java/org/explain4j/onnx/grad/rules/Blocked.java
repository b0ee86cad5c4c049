package org.explain4j.onnx.grad.rules;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.RuleContext;
import org.explain4j.onnx.grad.TensorMeta;

/**
 * Helpers that keep the backward pass of a CNN in ONNX Runtime's blocked (NCHWc) layout.
 *
 * <p>ONNX Runtime runs convolutions, pooling, Relu, and same-shape Add and Mul in a blocked layout
 * when every input of such an op is already blocked; any other op in between makes it convert the
 * tensor back to plain NCHW and again to blocked before the next convolution, and once a plain
 * tensor enters the sum of a residual gradient, the whole skip path stays plain. These helpers
 * express per-channel scaling as a 1x1 depthwise convolution, which ONNX Runtime runs blocked;
 * the arithmetic is the same single multiplication per element as a {@code Mul}.
 */
final class Blocked {
    private Blocked() {
    }

    /**
     * Whether the build allows these formulations and {@code x} is a float32 image-like tensor
     * [N, C, H, W] with C a multiple of 16 (ONNX Runtime's widest block; narrower channel counts
     * are not blocked, and there a plain op is cheaper).
     */
    static boolean eligible(RuleContext c, TensorMeta x) {
        long[] s = x.shape();
        return c.optimisedForms() && x.elemType() == TensorProto.DataType.FLOAT_VALUE && s.length == 4 && s[1] % 16 == 0 && s[1] > 0;
    }

    /** {@code factor * x} for x [N, channels, H, W], as a 1x1 depthwise convolution. */
    static String scale(RuleContext c, String x, long channels, double factor) {
        double[] w = new double[Math.toIntExact(channels)];
        Arrays.fill(w, factor);
        String weights = c.constant(TensorProto.DataType.FLOAT_VALUE, new long[] {channels, 1, 1, 1}, w);
        return c.op("Conv", List.of(x, weights), Attr.i("group", channels));
    }
}
