package org.explain4j.onnx.grad.rules;

import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * DepthToSpace (ONNX opset 11-13, modes DCR and CRD) and SpaceToDepth (opset 1-13): each is a
 * Reshape, a Transpose and a Reshape, as the specification writes them, so the gradient undoes
 * them in reverse: the gradient reshaped to the transposed intermediate shape, transposed by the
 * inverse permutation and reshaped to the input's shape.
 * <ul>
 *   <li>DepthToSpace DCR: {@code [N, b, b, C/b^2, H, W]}, perm {@code (0, 3, 4, 1, 5, 2)};</li>
 *   <li>DepthToSpace CRD: {@code [N, C/b^2, b, b, H, W]}, perm {@code (0, 1, 4, 2, 5, 3)};</li>
 *   <li>SpaceToDepth: {@code [N, C, H/b, b, W/b, b]}, perm {@code (0, 3, 5, 1, 2, 4)}.</li>
 * </ul>
 */
final class DepthSpaceRule implements OpRule {
    private final boolean toSpace;

    DepthSpaceRule(boolean toSpace) {
        this.toSpace = toSpace;
    }

    @Override
    public void backward(RuleContext c) {
        long[] x = c.inputShape(0);
        if (x.length != 4) {
            throw c.unsupported("its input has rank " + x.length + " (ONNX defines it for rank 4)");
        }
        long b = c.attrInt("blocksize", 0);
        long n = x[0];
        long ch = x[1];
        long h = x[2];
        long w = x[3];
        long[] split;
        long[] perm;
        if (!toSpace) {
            split = new long[] {n, ch, h / b, b, w / b, b};
            perm = new long[] {0, 3, 5, 1, 2, 4};
        } else if (c.attrString("mode", "DCR").equals("CRD")) {
            split = new long[] {n, ch / (b * b), b, b, h, w};
            perm = new long[] {0, 1, 4, 2, 5, 3};
        } else {
            split = new long[] {n, b, b, ch / (b * b), h, w};
            perm = new long[] {0, 3, 4, 1, 5, 2};
        }
        long[] transposed = new long[6];
        long[] inverse = new long[6];
        for (int i = 0; i < 6; i++) {
            transposed[i] = split[(int) perm[i]];
            inverse[(int) perm[i]] = i;
        }
        String t = c.op("Transpose", c.reshape(c.grad(0), transposed), Attr.ints("perm", inverse));
        c.addGrad(0, c.reshape(t, x));
    }
}
