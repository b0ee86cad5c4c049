package org.explain4j.onnx.grad.rules;

import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Gemm {@code Y = alpha op(A) op(B) + beta C}: each operand's gradient is itself a Gemm of the
 * incoming gradient with the other operand, with the transposes chosen so that no explicit
 * Transpose is needed; {@code C} gets {@code beta g} summed to its shape.
 */
final class GemmRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        float alpha = c.attrFloat("alpha", 1f);
        long transA = c.attrInt("transA", 0);
        long transB = c.attrInt("transB", 0);
        String g = c.grad(0);
        String a = c.input(0);
        String b = c.input(1);
        if (c.needsGrad(0)) {
            c.addGrad(0, transA == 0 ? gemm(c, g, b, 0, 1 - transB, alpha) : gemm(c, b, g, transB, 1, alpha));
        }
        if (c.needsGrad(1)) {
            c.addGrad(1, transB == 0 ? gemm(c, a, g, 1 - transA, 0, alpha) : gemm(c, g, a, 1, transA, alpha));
        }
        if (c.needsGrad(2)) {
            String scaled = c.op("Mul", g, c.scalar(c.attrFloat("beta", 1f), c.inputType(2)));
            c.addGrad(2, c.unbroadcast(scaled, c.outputShape(0), c.inputShape(2)));
        }
    }

    private static String gemm(RuleContext c, String x, String y, long tx, long ty, float alpha) {
        return c.op("Gemm", List.of(x, y), Attr.f("alpha", alpha), Attr.i("transA", tx), Attr.i("transB", ty));
    }
}
