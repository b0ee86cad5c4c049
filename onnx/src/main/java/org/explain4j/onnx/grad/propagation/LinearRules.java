package org.explain4j.onnx.grad.propagation;

import static org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Inputs.IDENTITY;
import static org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Inputs.NEGATIVE;
import static org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Inputs.ONES;
import static org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Inputs.POSITIVE;

import java.util.Arrays;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;
import org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Gamma;
import org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Group;
import org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Mask;
import org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Params;
import org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Spec;
import org.explain4j.onnx.grad.propagation.ModifiedLinearRule.Term;

/**
 * The LRP rules of linear layers (Gemm, MatMul with a constant weight, Conv), each a declaration
 * of {@link ModifiedLinearRule}'s modifiers, as Zennit 0.5.1 declares them on its
 * {@code BasicHook}. Notation: {@code x+ = max(x, 0)}, {@code x- = min(x, 0)}, likewise for the
 * weight and bias; {@code stabilize(z) = z + eps * sign(z)} with {@code sign(0) = +1}.
 * The non-epsilon rules read their stabiliser from the parameter {@code stabilizer} (else
 * {@code epsilon}), 1e-6 by default.
 */
final class LinearRules {
    private LinearRules() {
    }

    /**
     * LRP-epsilon (Bach et al., 2015): {@code R_x = x * W^T (R_z / stabilize(z))}, {@code z} the
     * layer's output with its bias (Zennit's {@code Epsilon} and Captum's {@code EpsilonRule}
     * agree). Parameter {@code epsilon}, 1e-9 by default (Captum's).
     */
    static OpRule epsilon() {
        return new ModifiedLinearRule(c -> Spec.of(nonNegative(c, "epsilon", 1e-9),
                Group.of(Term.of(IDENTITY, Params.IDENTITY, Params.IDENTITY))));
    }

    /** LRP-0: epsilon 0; a zero {@code z} passes no relevance. */
    static OpRule zero() {
        return new ModifiedLinearRule(c -> Spec.of(0, Group.of(Term.of(IDENTITY, Params.IDENTITY, Params.IDENTITY))));
    }

    /**
     * z+ as Zennit's {@code ZPlus} (negative inputs allowed): {@code z+ = W+ x+ + b+ + W- x-}, the
     * bias's positive part with the positive weights and none with the negative ones;
     * {@code R_x = x+ W+^T s + x- W-^T s}, {@code s = R_z / stabilize(z+)}.
     */
    static OpRule zPlus() {
        return new ModifiedLinearRule(c -> Spec.of(Emit.stabilizer(c, 1e-6), positiveContributions(1)));
    }

    /**
     * Alpha-beta (Bach et al., 2015) as Zennit's {@code AlphaBeta}: the positive contributions
     * {@code z+ = W+ x+ + b+ + W- x-} and the negative ones {@code z- = W- x+ + b- + W+ x-} are
     * normalised separately; {@code R_x = alpha (x+ W+^T s+ + x- W-^T s+) - beta (x+ W-^T s- + x- W+^T s-)}.
     * Parameters {@code alpha} (2) and {@code beta} (1), both zero or positive with
     * {@code alpha - beta = 1} (so that relevance is conserved).
     */
    static OpRule alphaBeta() {
        return new ModifiedLinearRule(c -> {
            double alpha = c.param("alpha", 2);
            double beta = c.param("beta", 1);
            if (!(alpha >= 0) || !(beta >= 0) || Double.isInfinite(alpha) || Math.abs(alpha - beta - 1) > 1e-9 * alpha) {
                throw c.unsupported("alpha-beta needs alpha >= 0, beta >= 0 and alpha - beta = 1 (got alpha " + alpha
                        + " and beta " + beta + ")");
            }
            return Spec.of(Emit.stabilizer(c, 1e-6), positiveContributions(alpha), new Group(-beta, Mask.ALL,
                    java.util.List.of(Term.of(POSITIVE, Params.NEGATIVE, Params.NEGATIVE),
                            Term.of(NEGATIVE, Params.POSITIVE, Params.DROP))));
        });
    }

    /**
     * The generalised gamma rule (Montavon et al., 2019; Andeol et al., 2021) as Zennit's
     * {@code Gamma}: with {@code W^ = W + gamma W+} and {@code W_ = W + gamma W-} (the bias likewise),
     * where {@code z > 0} the relevance is normalised by {@code W^ x+ + b^ + W_ x-} and spread by
     * those weights; where {@code z < 0} by {@code W_ x+ + b_ + W^ x-}; where {@code z = 0} nothing
     * passes. Parameter {@code gamma} (0.25), zero or positive.
     */
    static OpRule gamma() {
        return new ModifiedLinearRule(c -> {
            double gamma = nonNegative(c, "gamma", 0.25);
            Gamma up = new Gamma(gamma, true);
            Gamma down = new Gamma(gamma, false);
            return Spec.of(Emit.stabilizer(c, 1e-6),
                    new Group(1, Mask.OUTPUT_POSITIVE, java.util.List.of(Term.of(POSITIVE, up, up),
                            Term.of(NEGATIVE, down, Params.DROP))),
                    new Group(1, Mask.OUTPUT_NEGATIVE, java.util.List.of(Term.of(POSITIVE, down, down),
                            Term.of(NEGATIVE, up, Params.DROP))));
        });
    }

    /**
     * Flat (Lapuschkin et al., 2019) as Zennit's {@code Flat}: input and weights replaced by ones,
     * no bias; {@code R_x = 1^T (R_z / stabilize(n))}, n the number of in-bounds inputs of each
     * output. Independent of the input's values.
     */
    static OpRule flat() {
        return new ModifiedLinearRule(c -> Spec.of(Emit.stabilizer(c, 1e-6),
                Group.of(Term.of(ONES, Params.ONES, Params.DROP))));
    }

    /**
     * W-square (Montavon et al., 2017) as Zennit's {@code WSquare}: the input replaced by ones, the
     * weights and bias by their squares; {@code R_x = (W^2)^T (R_z / stabilize(W^2 1 + b^2))}.
     */
    static OpRule wSquare() {
        return new ModifiedLinearRule(c -> Spec.of(Emit.stabilizer(c, 1e-6),
                Group.of(Term.of(ONES, Params.SQUARE, Params.SQUARE))));
    }

    /**
     * z^B (Montavon et al., 2017) for inputs bounded by {@code low <= x <= high}, as Zennit's
     * {@code ZBox}: {@code z = W x - W+ l - W- h} (the biases of the three terms cancel),
     * {@code R_x = x W^T s - l W+^T s - h W-^T s}. The bounds are the parameters {@code low} and
     * {@code high} (scalars), or per-element tensors (one example's shape, or the input's rank
     * with dimensions of 1 or the input's size; null for the parameters).
     */
    static OpRule zBox(Tensor low, Tensor high) {
        Bound lo = new Bound("low", low);
        Bound hi = new Bound("high", high);
        return new ModifiedLinearRule(c -> Spec.of(Emit.stabilizer(c, 1e-6), Group.of(
                Term.of(IDENTITY, Params.IDENTITY, Params.DROP),
                Term.minus(lo, Params.POSITIVE, Params.DROP),
                Term.minus(hi, Params.NEGATIVE, Params.DROP))));
    }

    /** {@code W+ x+ + b+ + W- x-}, scaled by {@code coefficient}. */
    private static Group positiveContributions(double coefficient) {
        return new Group(coefficient, Mask.ALL, java.util.List.of(Term.of(POSITIVE, Params.POSITIVE, Params.POSITIVE),
                Term.of(NEGATIVE, Params.NEGATIVE, Params.DROP)));
    }

    private static double nonNegative(RuleContext c, String name, double dflt) {
        double v = c.param(name, dflt);
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw c.unsupported(name + " must be zero or positive (got " + v + ")");
        }
        return v;
    }

    /** A z^B bound as an input modifier: a tensor of the input's shape. */
    private record Bound(String name, Tensor given) implements ModifiedLinearRule.Input {
        @Override
        public String apply(RuleContext c, LinearLayer l) {
            long[] x = l.xShape();
            int t = l.type();
            if (given == null) {
                double v = c.param(name, Double.NaN);
                if (!Double.isFinite(v)) {
                    throw c.unsupported("the zbox rule needs finite bounds 'low' and 'high' (parameter '" + name
                            + "' is " + (Double.isNaN(v) ? "missing" : v) + ")");
                }
                return c.op("Expand", c.scalar(v, t), c.longs(x));
            }
            long[] shape = Arrays.stream(given.shape()).asLongStream().toArray();
            if (shape.length == x.length - 1) {
                long[] withBatch = new long[x.length];
                withBatch[0] = 1;
                System.arraycopy(shape, 0, withBatch, 1, shape.length);
                shape = withBatch;
            }
            boolean ok = shape.length == x.length;
            for (int i = 0; ok && i < x.length; i++) {
                ok = shape[i] == 1 || shape[i] == x[i];
            }
            if (!ok) {
                throw c.unsupported("the zbox bound '" + name + "' has shape " + Tensor.shapeString(given.shape())
                        + ", which does not broadcast to the layer input's shape " + Arrays.toString(x));
            }
            return c.op("Expand", c.constant(t, shape, given.toDoubleArray()), c.longs(x));
        }
    }
}
