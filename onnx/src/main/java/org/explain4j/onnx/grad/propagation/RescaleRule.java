package org.explain4j.onnx.grad.propagation;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT's rescale rule (Shrikumar et al., 2017) at an elementwise nonlinearity {@code y = f(x)},
 * as Captum's {@code nonlinear}: the multiplier {@code (y - y_ref) / (x - x_ref)}, the same for
 * the input and the reference half, times the incoming gradient; where
 * {@code |x - x_ref| < 1e-10} the ordinary gradient {@code f'(x) g} of each row instead.
 */
final class RescaleRule implements OpRule {
    /** Captum's threshold below which the difference counts as zero. */
    static final double EPS = 1e-10;

    @Override
    public void backward(RuleContext c) {
        if (!Arrays.equals(c.inputShape(0), c.outputShape(0))) {
            throw c.unsupported("the rescale rule needs an elementwise op");
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
            case "Elu" -> c.op("Where", List.of(positive, one,
                    Emit.add(c, y, c.scalar(c.attrFloat("alpha", 1f), t))));
            case "Sigmoid" -> Emit.mul(c, y, Emit.sub(c, one, y));
            case "Tanh" -> Emit.sub(c, one, Emit.mul(c, y, y));
            case "Softplus" -> c.op("Sigmoid", x);
            default -> throw c.unsupported("the rescale rule knows the derivative of Relu, LeakyRelu, Elu, Sigmoid,"
                    + " Tanh and Softplus only");
        };
    }
}
