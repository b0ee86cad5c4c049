package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * ConvTranspose (ONNX opset 11+) as a forward op, with respect to its input: ConvTranspose is the
 * adjoint of the Conv with the same weights {@code [C_in, C_out / group, k...]}, strides,
 * dilations, group and begin pads, so its input gradient is that Conv applied to the gradient.
 * The Conv's end pads make it return exactly the input's size; output positions that
 * {@code output_padding} added past every window get no input's contribution and are cropped
 * first. The begin pads are the {@code pads} attribute (PyTorch's form), 0 for VALID, or, with
 * {@code auto_pad} SAME_* or an {@code output_shape}, derived from the total padding
 * {@code stride (in - 1) + output_padding + span - out} as the specification says: half of it
 * (rounded down) for SAME_UPPER, the rest for SAME_LOWER and for an explicit output_shape.
 * Weights and bias get no gradient.
 */
final class ConvTransposeRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        String autoPad = c.attrString("auto_pad", "NOTSET");
        if (!java.util.Set.of("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER").contains(autoPad)) {
            throw c.unsupported("auto_pad '" + autoPad + "' is not an ONNX value");
        }
        long[] w = c.inputShape(1);
        long[] x = c.inputShape(0);
        long[] y = c.outputShape(0);
        int n = w.length - 2;
        long[] kernel = Arrays.copyOfRange(w, 2, w.length);
        long[] strides = c.attrInts("strides", Windows.ones(n));
        long[] dilations = c.attrInts("dilations", Windows.ones(n));
        long[] outputPadding = c.attrInts("output_padding", new long[n]);
        long[] pads = autoPad.equals("VALID") ? new long[2 * n] : c.attrInts("pads", new long[2 * n]);
        boolean derived = autoPad.startsWith("SAME") || c.hasAttr("output_shape");
        long[] convPads = new long[2 * n];
        long[] keep = new long[n];
        boolean crop = false;
        for (int i = 0; i < n; i++) {
            long span = (kernel[i] - 1) * dilations[i] + 1;
            if (derived) {
                long total = Math.max(0, strides[i] * (x[i + 2] - 1) + outputPadding[i] + span - y[i + 2]);
                pads[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
            }
            long end = strides[i] * (x[i + 2] - 1) + span - y[i + 2] - pads[i];
            convPads[i] = pads[i];
            convPads[i + n] = Math.max(end, 0);
            keep[i] = y[i + 2] + Math.min(end, 0);
            crop |= end < 0;
        }
        String g = c.grad(0);
        if (crop) {
            long[] axes = new long[n];
            for (int i = 0; i < n; i++) {
                axes[i] = i + 2;
            }
            g = c.op("Slice", List.of(g, c.longs(new long[n]), c.longs(keep), c.longs(axes)));
        }
        c.addGrad(0, c.op("Conv", List.of(g, c.input(1)), Attr.ints("kernel_shape", kernel),
                Attr.ints("strides", strides), Attr.ints("dilations", dilations), Attr.ints("pads", convPads),
                Attr.i("group", c.attrInt("group", 1))));
    }
}
