package org.explain4j.onnx.grad.propagation;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;
import org.explain4j.onnx.grad.rules.AveragePoolRule;

/**
 * Zennit's {@code Norm} rule for sums, average pooling and mean/sum reductions: the relevance of each output is split
 * over the inputs in proportion to their contributions, {@code R_i = x_i * J_i^T (R / stabilize(y))}.
 * Sub is the sum {@code a + (-b)}. For Add, Sub and Sum, operands that do not depend on the input (a bias,
 * the 1 of a GRU's {@code 1 - z}) absorb their share; a
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
            case "Sub" -> {
                // a - b = a + (-b): the subtrahend's share is -b * J^T s
                for (int i = 0; i < 2; i++) {
                    if (c.needsGrad(i)) {
                        String g = c.unbroadcast(s, c.outputShape(0), c.inputShape(i));
                        String x = i == 0 ? c.input(0) : c.op("Neg", c.input(1));
                        c.addGrad(i, Emit.mul(c, x, g));
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
            case "ReduceMean", "ReduceSum" -> c.addGrad(0, Emit.mul(c, c.input(0), reduceTranspose(c, s)));
            default -> throw c.unsupported("the norm rule applies to Add, Sub, Sum, AveragePool, GlobalAveragePool,"
                    + " ReduceMean and ReduceSum");
        }
    }

    /**
     * The gradient of ReduceMean or ReduceSum applied to {@code g}: spread back over the reduced
     * axes (axes as attribute, or as input from opset 13 for ReduceSum and 18 for ReduceMean),
     * divided by their size for a mean.
     */
    static String reduceTranspose(RuleContext c, String g) {
        boolean mean = c.opType().equals("ReduceMean");
        long[] in = c.inputShape(0);
        boolean axesAsInput = c.opset() >= (mean ? 18 : 13);
        long[] axes = axesAsInput ? (c.hasInput(1) ? c.constantInput(1) : null) : c.attrInts("axes", null);
        if ((axes == null || axes.length == 0) && axesAsInput && c.attrInt("noop_with_empty_axes", 0) != 0) {
            return g;
        }
        long[] kept = in.clone();
        long count = 1;
        for (int a = 0; a < in.length; a++) {
            boolean reduced = axes == null || axes.length == 0;
            for (int i = 0; !reduced && i < axes.length; i++) {
                reduced = RuleContext.axis(axes[i], in.length) == a;
            }
            if (reduced) {
                kept[a] = 1;
                count *= in[a];
            }
        }
        String spread = c.reshape(g, kept);
        if (mean) {
            spread = Emit.mul(c, spread, c.scalar(1.0 / count, c.inputType(0)));
        }
        return c.op("Expand", spread, c.longs(in));
    }

    /** The gradient of AveragePool applied to {@code g}: each window's share, spread by a depthwise ConvTranspose. */
    static String averagePoolTranspose(RuleContext c, String g) {
        return AveragePoolRule.transpose(c, g);
    }

}
