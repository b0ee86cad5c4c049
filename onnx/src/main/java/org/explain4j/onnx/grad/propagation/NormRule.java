package org.explain4j.onnx.grad.propagation;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Zennit's {@code Norm} rule for sums and average pooling: the relevance of each output is split
 * over the inputs in proportion to their contributions, {@code R_i = x_i * J_i^T (R / stabilize(y))}.
 * For Add and Sum, operands that do not depend on the input (a bias) absorb their share; a
 * residual {@code Add} of two activations is already explicit in ONNX. Parameter
 * {@code stabilizer} (else {@code epsilon}), 1e-6 by default.
 */
final class NormRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        double eps = Emit.stabilizer(c, 1e-6);
        String s = Emit.divideStabilized(c, c.grad(0), c.output(0), eps, t);
        switch (c.opType()) {
            case "Add", "Sum" -> {
                for (int i = 0; i < c.inputCount(); i++) {
                    if (c.needsGrad(i)) {
                        String g = c.unbroadcast(s, c.outputShape(0), c.inputShape(i));
                        c.addGrad(i, Emit.mul(c, c.input(i), g));
                    }
                }
            }
            case "AveragePool" -> c.addGrad(0, Emit.mul(c, c.input(0), averagePoolTranspose(c, s)));
            case "GlobalAveragePool" -> {
                long[] x = c.inputShape(0);
                long spatial = 1;
                for (int i = 2; i < x.length; i++) {
                    spatial *= x[i];
                }
                String spread = c.op("Expand", Emit.mul(c, s, c.scalar(1.0 / spatial, t)), c.longs(x));
                c.addGrad(0, Emit.mul(c, c.input(0), spread));
            }
            default -> throw c.unsupported("the norm rule applies to Add, Sum, AveragePool and GlobalAveragePool");
        }
    }

    /** The gradient of AveragePool applied to {@code g}: each window's share, spread by a depthwise ConvTranspose. */
    static String averagePoolTranspose(RuleContext c, String g) {
        long[] x = c.inputShape(0);
        long channels = x[1];
        ConvGeometry win = new ConvGeometry(c, c.attrInts("kernel_shape", null));
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
        String scaled = Emit.mul(c, g, c.constant(t, divShape, divisor));
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
