package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.RuleContext;

/**
 * The sliding-window geometry shared by Conv and the pooling ops: the begin/end pads actually
 * used (auto_pad resolved from the concrete shapes), and the pads and output_padding of the
 * ConvTranspose that maps an output-sized gradient back onto exactly the input's size.
 */
public final class Windows {
    public final long[] kernel;
    public final long[] strides;
    public final long[] dilations;
    public final long[] padBegin;
    public final long[] padEnd;
    public final long[] in;
    public final long[] out;

    /** Reads the window attributes of {@code c.node()} for kernel {@code kernel}. */
    public Windows(RuleContext c, long[] kernel) {
        int n = kernel.length;
        this.kernel = kernel;
        this.strides = c.attrInts("strides", ones(n));
        this.dilations = c.attrInts("dilations", ones(n));
        long[] x = c.inputShape(0);
        long[] y = c.outputShape(0);
        this.in = new long[n];
        this.out = new long[n];
        for (int i = 0; i < n; i++) {
            in[i] = x[i + 2];
            out[i] = y[i + 2];
        }
        this.padBegin = new long[n];
        this.padEnd = new long[n];
        String autoPad = c.attrString("auto_pad", "NOTSET");
        long[] pads = c.attrInts("pads", new long[2 * n]);
        for (int i = 0; i < n; i++) {
            switch (autoPad) {
                case "NOTSET" -> {
                    padBegin[i] = pads[i];
                    padEnd[i] = pads[i + n];
                }
                case "VALID" -> {
                }
                case "SAME_UPPER", "SAME_LOWER" -> {
                    long total = Math.max(0, (out[i] - 1) * strides[i] + span(i) - in[i]);
                    long small = total / 2;
                    padBegin[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
                    padEnd[i] = total - padBegin[i];
                }
                default -> throw c.unsupported("auto_pad '" + autoPad + "' is not an ONNX value");
            }
        }
    }

    /** The extent of one dilated window along axis {@code i}. */
    public long span(int i) {
        return (kernel[i] - 1) * dilations[i] + 1;
    }

    /** ConvTranspose pads (begin..., end...) that crop the transposed result to the input's size. */
    public long[] transposePads() {
        int n = kernel.length;
        long[] p = new long[2 * n];
        for (int i = 0; i < n; i++) {
            long surplus = (out[i] - 1) * strides[i] + span(i) - padBegin[i] - in[i];
            p[i] = padBegin[i];
            p[i + n] = Math.max(surplus, 0);
        }
        return p;
    }

    /** ConvTranspose output_padding that adds the input positions no window reached. */
    public long[] outputPadding() {
        int n = kernel.length;
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            long surplus = (out[i] - 1) * strides[i] + span(i) - padBegin[i] - in[i];
            p[i] = Math.max(-surplus, 0);
        }
        return p;
    }

    /** How many input elements each window along axis {@code i} reads (ONNX Runtime's AveragePool divisor). */
    public double[] counts(int i, boolean includePad) {
        double[] counts = new double[Math.toIntExact(out[i])];
        for (int o = 0; o < counts.length; o++) {
            long start = o * strides[i] - padBegin[i];
            for (long k = 0; k < kernel[i]; k++) {
                long p = start + k * dilations[i];
                boolean inside = includePad ? p < in[i] + padEnd[i] : p >= 0 && p < in[i];
                counts[o] += inside ? 1 : 0;
            }
        }
        return counts;
    }

    public static long[] ones(int n) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, 1);
        return a;
    }
}
