package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * The norm-like reductions (ONNX opset 11-20, axes as an input from 18), with {@code g} the
 * output's gradient broadcast back over the reduced axes:
 * <ul>
 *   <li>ReduceSumSquare, {@code y = sum x^2}: {@code 2 x g};</li>
 *   <li>ReduceL1, {@code y = sum |x|}: {@code sign(x) g};</li>
 *   <li>ReduceL2, {@code y = sqrt(sum x^2)} ({@code F.normalize} exports it): {@code x / y g}, and 0
 *       where {@code y = 0}, as PyTorch's norm backward;</li>
 *   <li>ReduceLogSumExp, {@code y = log sum exp(x)}: {@code exp(x - y) g} (the softmax).</li>
 * </ul>
 */
final class ReduceNormRule implements OpRule {
    private final String op;

    ReduceNormRule(String op) {
        this.op = op;
    }

    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        Reduction r = Reduction.of(c, 18);
        String x = c.input(0);
        int t = c.inputType(0);
        String g = r == null ? c.grad(0) : c.reshape(c.grad(0), r.kept());
        String y = r == null ? c.output(0) : c.reshape(c.output(0), r.kept());
        String slope = switch (op) {
            case "ReduceSumSquare" -> c.op("Mul", x, c.scalar(2, t));
            case "ReduceL1" -> c.op("Sign", x);
            case "ReduceL2" -> {
                String zero = c.op("Equal", y, c.scalar(0, t));
                String safe = c.op("Where", List.of(zero, c.scalar(1, t), y));
                yield c.op("Where", List.of(zero, c.scalar(0, t), c.op("Div", x, safe)));
            }
            case "ReduceLogSumExp" -> c.op("Exp", c.op("Sub", x, y));
            default -> throw c.unsupported("no norm rule for " + op);
        };
        c.addGrad(0, c.op("Mul", slope, g));
    }
}
