package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * GroupNormalization (ONNX opset 18 and 21): the channels of {@code x [N, C, ...]} split into
 * {@code num_groups} groups, each (example, group) standardised over its channels and spatial
 * positions, then scaled and shifted: per group at opset 18 (scale and bias of shape
 * {@code [num_groups]}), per channel from opset 21 ({@code [C]}). The gradient is the
 * standardisation's ({@link Standardised}) of {@code g * scale} on the view
 * {@code [N, G, C/G, S]}. Scale and bias get no gradient.
 */
final class GroupNormalizationRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        long[] x = c.inputShape(0);
        long groups = c.attrInt("num_groups", 0);
        if (groups <= 0 || x[1] % groups != 0) {
            throw c.unsupported("num_groups " + groups + " does not divide the " + x[1] + " channels");
        }
        long spatial = 1;
        for (int i = 2; i < x.length; i++) {
            spatial *= x[i];
        }
        long[] view = {x[0], groups, x[1] / groups, spatial};
        boolean perChannel = c.inputShape(1)[0] == x[1];
        long[] scaleView = perChannel ? new long[] {1, groups, x[1] / groups, 1} : new long[] {1, groups, 1, 1};
        int t = c.inputType(0);
        String gh = c.op("Mul", c.reshape(c.grad(0), view), c.reshape(c.input(1), scaleView));
        String dx = Standardised.inputGradient(c, c.reshape(c.input(0), view), gh, view, new long[] {2, 3},
                c.attrFloat("epsilon", 1e-5f), t);
        c.addGrad(0, c.reshape(dx, x));
    }
}
