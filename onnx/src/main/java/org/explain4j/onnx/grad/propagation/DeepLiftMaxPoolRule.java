package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DeepLIFT at MaxPool, as Captum's {@code maxpool} rule: with {@code m = max(y, y_ref)}, the
 * output differences {@code m - y_ref} (routed through the input's argmax positions) and
 * {@code y - m} (through the reference's) are scattered back, summed over the two halves and
 * divided by {@code x - x_ref}; where {@code |x - x_ref| < 1e-10} the ordinary MaxPool gradient.
 * Both halves get the same multipliers, so the multipliers of the input rows do not depend on how
 * the reference rows were seeded. Overlapping windows accumulate (Captum's max_unpool overwrites).
 * Needs opset 16 (ScatterElements with reduction "add").
 */
final class DeepLiftMaxPoolRule implements OpRule {
    @Override
    public int minOpset() {
        return 16;
    }

    @Override
    public void backward(RuleContext c) {
        if (c.attrInt("storage_order", 0) != 0) {
            throw c.unsupported("storage_order=1 (column-major indices)");
        }
        Halves h = new Halves(c);
        int t = c.inputType(0);
        long[] x = c.inputShape(0);
        long[] y = c.outputShape(0);
        String g = c.grad(0);
        String indices = c.forwardOutput(1);
        String out = h.first(c, c.output(0));
        String ref = h.second(c, c.output(0));
        String max = c.op("Max", List.of(out, ref));
        String deltaOut = Emit.stack(c, Emit.sub(c, max, ref), Emit.sub(c, out, max));
        String gFirst = h.first(c, g);
        String unpooled = Emit.unpool(c, Emit.mul(c, Emit.stack(c, gFirst, gFirst), deltaOut), indices, x, y, t);
        String summed = Emit.add(c, h.first(c, unpooled), h.second(c, unpooled));
        String numerator = Emit.stack(c, summed, summed);
        String dx = h.delta(c, c.input(0));
        String small = c.op("Less", c.op("Abs", dx), c.scalar(RescaleRule.EPS, t));
        String safe = c.op("Where", List.of(small, c.scalar(1, t), dx));
        String plain = Emit.unpool(c, g, indices, x, y, t);
        c.addGrad(0, c.op("Where", List.of(small, plain, c.op("Div", numerator, safe))));
    }
}
