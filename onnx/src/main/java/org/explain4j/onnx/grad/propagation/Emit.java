package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.RuleContext;

/** Small node-emitting helpers shared by the propagation rules. */
final class Emit {
    private Emit() {
    }

    static String add(RuleContext c, String a, String b) {
        return c.op("Add", a, b);
    }

    static String sub(RuleContext c, String a, String b) {
        return c.op("Sub", a, b);
    }

    static String mul(RuleContext c, String a, String b) {
        return c.op("Mul", a, b);
    }

    /** {@code max(t, 0)}. */
    static String positive(RuleContext c, String t) {
        return c.op("Relu", t);
    }

    /** {@code min(t, 0)}, computed as {@code t - max(t, 0)}. */
    static String negative(RuleContext c, String t) {
        return c.op("Sub", t, c.op("Relu", t));
    }

    /** A tensor of ones of the given shape and element type. */
    static String ones(RuleContext c, long[] shape, int type) {
        return c.op("Expand", c.scalar(1, type), c.longs(shape));
    }

    /**
     * Zennit's and Captum's stabiliser: {@code z + eps * sign(z)} with {@code sign(0) = +1}, so a
     * denominator moves away from zero.
     */
    static String stabilize(RuleContext c, String z, double eps, int type) {
        String negativeZ = c.op("Less", z, c.scalar(0, type));
        return c.op("Add", z, c.op("Where", List.of(negativeZ, c.scalar(-eps, type), c.scalar(eps, type))));
    }

    /**
     * {@code num / stabilize(den, eps)}; with {@code eps = 0} (LRP-0) a zero denominator gives 0
     * instead of a non-finite value: that relevance is dropped.
     */
    static String divideStabilized(RuleContext c, String num, String den, double eps, int type) {
        if (eps > 0) {
            return c.op("Div", num, stabilize(c, den, eps, type));
        }
        String zero = c.scalar(0, type);
        String isZero = c.op("Equal", den, zero);
        String safe = c.op("Where", List.of(isZero, c.scalar(1, type), den));
        return c.op("Where", List.of(isZero, zero, c.op("Div", num, safe)));
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) along axis 0. */
    static String rows(RuleContext c, String t, long from, long to) {
        return c.op("Slice", List.of(t, c.longs(from), c.longs(to), c.longs(0)));
    }

    /** {@code [a; b]} along axis 0. */
    static String stack(RuleContext c, String a, String b) {
        return c.op("Concat", List.of(a, b), Attr.i("axis", 0));
    }

    /**
     * Scatter-adds {@code values} (the pooled tensor's shape) at MaxPool's flattened {@code indices}
     * into zeros of {@code inputShape}.
     */
    static String unpool(RuleContext c, String values, String indices, long[] inputShape, long[] outputShape,
                         int type) {
        long in = size(inputShape);
        long out = size(outputShape);
        String scattered = c.op("ScatterElements", List.of(c.zeros(new long[] {in}, type),
                c.reshape(indices, new long[] {out}), c.reshape(values, new long[] {out})),
                Attr.i("axis", 0), Attr.s("reduction", "add"));
        return c.reshape(scattered, inputShape);
    }

    static long size(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** The stabiliser of a rule: the {@code stabilizer} parameter, else {@code epsilon}, else {@code dflt}. */
    static double stabilizer(RuleContext c, double dflt) {
        double v = c.param("stabilizer", c.param("epsilon", dflt));
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw c.unsupported("the rule's stabiliser must be zero or positive (got " + v + ")");
        }
        return v;
    }
}
