package org.explain4j.onnx.grad.propagation;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT's rescale rule (Shrikumar et al., 2017) at an elementwise nonlinearity {@code y = f(x)},
 * as Captum's {@code nonlinear} (for Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softplus; explain4j applies
 * it to every elementwise nonlinearity of {@link org.explain4j.core.grad.Rules#RESCALE_OPS}: Clip
 * (ReLU6), HardSigmoid, HardSwish, Selu, Gelu, Erf, Exp, PRelu, and Sqrt, Pow with a constant
 * exponent, Reciprocal, Log): the multiplier
 * {@code (y - y_ref) / (x - x_ref)}, the same for the input and the reference half, times the
 * incoming gradient; where
 * {@code |x - x_ref| < 1e-10} the ordinary gradient {@code f'(x) g} of each row instead (for Sqrt
 * at 0, where that derivative is infinite, 0, so that an input equal to its reference at a zero
 * magnitude passes nothing rather than NaN).
 */
final class RescaleRule implements OpRule {
    /** Captum's threshold below which the difference counts as zero. */
    static final double EPS = 1e-10;

    @Override
    public void backward(RuleContext c) {
        if (!Arrays.equals(c.inputShape(0), c.outputShape(0))) {
            throw c.unsupported("the rescale rule needs an elementwise op");
        }
        if (c.opType().equals("Pow")) {
            // a power of two activations is not elementwise in one variable
            c.requireNoGrad(1);
        }
        Halves h = new Halves(c);
        int t = c.inputType(0);
        String g = c.grad(0);
        String dx = h.delta(c, c.input(0));
        String dy = h.delta(c, c.output(0));
        String small = c.op("Less", c.op("Abs", dx), c.scalar(EPS, t));
        String safe = c.op("Where", List.of(small, c.scalar(1, t), dx));
        String rescaled = c.op("Div", Emit.mul(c, g, dy), safe);
        String local = Emit.mul(c, g, derivative(c, t));
        c.addGrad(0, c.op("Where", List.of(small, local, rescaled)));
    }

    /** {@code f'(x)} of the node's activation, as PyTorch's autograd computes it. */
    private static String derivative(RuleContext c, int t) {
        String x = c.input(0);
        String y = c.output(0);
        String zero = c.scalar(0, t);
        String one = c.scalar(1, t);
        String positive = c.op("Greater", x, zero);
        return switch (c.opType()) {
            case "Relu" -> c.op("Where", List.of(positive, one, zero));
            case "LeakyRelu" -> c.op("Where", List.of(positive, one, c.scalar(c.attrFloat("alpha", 0.01f), t)));
            case "PRelu" -> c.op("Where", List.of(positive, one, c.input(1)));
            case "Elu" -> c.op("Where", List.of(positive, one,
                    Emit.add(c, y, c.scalar(c.attrFloat("alpha", 1f), t))));
            case "Selu" -> {
                double alpha = c.attrFloat("alpha", 1.67326319217681884765625f);
                double gamma = c.attrFloat("gamma", 1.05070102214813232421875f);
                yield c.op("Where", List.of(positive, c.scalar(gamma, t), Emit.add(c, y, c.scalar(alpha * gamma, t))));
            }
            case "Sigmoid" -> Emit.mul(c, y, Emit.sub(c, one, y));
            case "Tanh" -> Emit.sub(c, one, Emit.mul(c, y, y));
            case "Softplus" -> c.op("Sigmoid", x);
            case "Exp" -> y;
            case "Erf" -> Emit.mul(c, c.scalar(2 / Math.sqrt(Math.PI), t), c.op("Exp", c.op("Neg", Emit.mul(c, x, x))));
            case "Clip" -> clipMask(c, x, t);
            case "HardSigmoid" -> {
                String v = Emit.add(c, Emit.mul(c, x, c.scalar(c.attrFloat("alpha", 0.2f), t)),
                        c.scalar(c.attrFloat("beta", 0.5f), t));
                String inside = c.op("And", c.op("Greater", v, zero), c.op("Less", v, one));
                yield c.op("Where", List.of(inside, c.scalar(c.attrFloat("alpha", 0.2f), t), zero));
            }
            case "HardSwish" -> {
                // PyTorch: 0 below -3, x / 3 + 1/2 up to 3, 1 above
                String ramp = Emit.add(c, Emit.mul(c, x, c.scalar(1.0 / 3, t)), c.scalar(0.5, t));
                String upper = c.op("Where", List.of(c.op("Greater", x, c.scalar(3, t)), one, ramp));
                yield c.op("Where", List.of(c.op("Less", x, c.scalar(-3, t)), zero, upper));
            }
            case "Gelu" -> geluDerivative(c, x, t);
            case "Sqrt" -> c.op("Where", List.of(c.op("Greater", y, zero),
                    c.op("Div", c.scalar(0.5, t), c.op("Where", List.of(c.op("Greater", y, zero), y, one))), zero));
            case "Reciprocal" -> c.op("Neg", Emit.mul(c, y, y));
            case "Log" -> c.op("Reciprocal", x);
            case "Pow" -> {
                String e = c.input(1);
                if (c.inputType(1) != t) {
                    e = c.op("Cast", e, Attr.i("to", t));
                }
                yield Emit.mul(c, e, c.op("Pow", x, Emit.sub(c, e, one)));
            }
            default -> throw c.unsupported("the rescale rule knows the derivatives of " + String.join(", ",
                    org.explain4j.core.grad.Rules.RESCALE_OPS) + " only");
        };
    }

    /** Clip's derivative: 1 where {@code min <= x <= max} (bounds as inputs from opset 11, attributes before). */
    private static String clipMask(RuleContext c, String x, int t) {
        String mask = null;
        String lo = c.opset() >= 11 ? (c.hasInput(1) ? c.input(1) : null)
                : c.hasAttr("min") ? c.scalar(c.attrFloat("min", 0), t) : null;
        String hi = c.opset() >= 11 ? (c.hasInput(2) ? c.input(2) : null)
                : c.hasAttr("max") ? c.scalar(c.attrFloat("max", 0), t) : null;
        if (lo != null) {
            mask = c.op("Not", c.op("Less", x, lo));
        }
        if (hi != null) {
            String below = c.op("Not", c.op("Greater", x, hi));
            mask = mask == null ? below : c.op("And", mask, below);
        }
        return mask == null ? Emit.ones(c, c.inputShape(0), t) : c.op("Cast", mask, Attr.i("to", t));
    }

    /**
     * Gelu's derivative: {@code Phi(x) + x phi(x)} (approximate "none"), or that of
     * {@code x (1 + tanh(u)) / 2}, {@code u = sqrt(2 / pi) (x + 0.044715 x^3)} (approximate "tanh").
     */
    private static String geluDerivative(RuleContext c, String x, int t) {
        String half = c.scalar(0.5, t);
        String one = c.scalar(1, t);
        String xx = Emit.mul(c, x, x);
        if (c.attrString("approximate", "none").equals("tanh")) {
            double k = Math.sqrt(2 / Math.PI);
            String u = Emit.mul(c, c.scalar(k, t), Emit.add(c, x, Emit.mul(c, c.scalar(0.044715, t),
                    Emit.mul(c, xx, x))));
            String th = c.op("Tanh", u);
            String du = Emit.mul(c, c.scalar(k, t), Emit.add(c, one, Emit.mul(c, c.scalar(3 * 0.044715, t), xx)));
            String left = Emit.mul(c, half, Emit.add(c, one, th));
            String right = Emit.mul(c, Emit.mul(c, half, x), Emit.mul(c, Emit.sub(c, one, Emit.mul(c, th, th)), du));
            return Emit.add(c, left, right);
        }
        String cdf = Emit.mul(c, half, Emit.add(c, one, c.op("Erf", Emit.mul(c, x, c.scalar(1 / Math.sqrt(2), t)))));
        String pdf = Emit.mul(c, c.scalar(1 / Math.sqrt(2 * Math.PI), t),
                c.op("Exp", Emit.mul(c, xx, c.scalar(-0.5, t))));
        return Emit.add(c, cdf, Emit.mul(c, x, pdf));
    }
}
