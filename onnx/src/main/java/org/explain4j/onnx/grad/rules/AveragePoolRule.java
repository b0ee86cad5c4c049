package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * AveragePool: the gradient divided by each window's element count (which, with
 * count_include_pad=0 or ceil_mode, varies near the borders), spread over its window by a
 * depthwise ConvTranspose with a kernel of ones.
 */
public final class AveragePoolRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.addGrad(0, transpose(c, c.grad(0)));
    }

    /**
     * The transpose of the AveragePool node of {@code c} applied to {@code g}: each window's share,
     * spread over the window by a depthwise ConvTranspose (also the norm rule's redistribution).
     */
    public static String transpose(RuleContext c, String g) {
        long[] x = c.inputShape(0);
        long channels = x[1];
        Windows win = new Windows(c, c.attrInts("kernel_shape", null));
        boolean includePad = c.attrInt("count_include_pad", 0) != 0;
        int n = win.kernel.length;
        long[] divShape = new long[n + 2];
        divShape[0] = 1;
        divShape[1] = 1;
        double[] divisor = {1};
        for (int i = 0; i < n; i++) {
            divShape[i + 2] = win.out[i];
            divisor = outer(divisor, win.counts(i, includePad));
        }
        for (int i = 0; i < divisor.length; i++) {
            divisor[i] = 1 / divisor[i];
        }
        int t = c.inputType(0);
        String scaled = c.op("Mul", g, c.constant(t, divShape, divisor));
        long[] kShape = new long[n + 2];
        kShape[0] = channels;
        kShape[1] = 1;
        System.arraycopy(win.kernel, 0, kShape, 2, n);
        double[] ones = new double[Math.toIntExact(channels * Arrays.stream(win.kernel).reduce(1, (a, b) -> a * b))];
        Arrays.fill(ones, 1);
        return c.op("ConvTranspose", List.of(scaled, c.constant(t, kShape, ones)),
                Attr.ints("kernel_shape", win.kernel), Attr.ints("strides", win.strides),
                Attr.ints("dilations", win.dilations), Attr.ints("pads", win.transposePads()),
                Attr.ints("output_padding", win.outputPadding()), Attr.i("group", channels));
    }

    private static double[] outer(double[] a, double[] b) {
        double[] r = new double[a.length * b.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                r[i * b.length + j] = a[i] * b[j];
            }
        }
        return r;
    }
}
