package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Selu (ONNX opset 6), {@code y = gamma x} for {@code x > 0} and {@code gamma alpha (exp(x) - 1)}
 * elsewhere (defaults alpha 1.67326..., gamma 1.05070...): {@code gamma g} where the input is
 * positive, {@code g (y + gamma alpha)} (that is {@code gamma alpha exp(x)}) elsewhere, as
 * PyTorch's {@code elu_backward} with its scales.
 */
final class SeluRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        int t = c.inputType(0);
        double alpha = c.attrFloat("alpha", 1.67326319217681884765625f);
        double gamma = c.attrFloat("gamma", 1.05070102214813232421875f);
        String positive = c.op("Greater", c.input(0), c.scalar(0, t));
        String negative = c.op("Mul", c.grad(0), c.op("Add", c.output(0), c.scalar(gamma * alpha, t)));
        c.addGrad(0, c.op("Where", List.of(positive, c.op("Mul", c.grad(0), c.scalar(gamma, t)), negative)));
    }
}
