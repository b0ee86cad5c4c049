package org.explain4j.onnx.grad.rules;

import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleContext;

/**
 * Conv with respect to its input: a ConvTranspose of the gradient with the same weights,
 * strides, dilations and group, whose pads and output_padding recover exactly the input's size
 * (auto_pad resolved from the concrete shapes). Weights and bias get no gradient.
 */
final class ConvRule implements OpRule {
    @Override
    public void backward(RuleContext c) {
        c.requireNoGrad(1);
        c.requireNoGrad(2);
        long[] w = c.inputShape(1);
        Windows win = new Windows(c, Arrays.copyOfRange(w, 2, w.length));
        String gx = c.op("ConvTranspose", List.of(c.grad(0), c.input(1)),
                Attr.ints("kernel_shape", win.kernel), Attr.ints("strides", win.strides),
                Attr.ints("dilations", win.dilations), Attr.ints("pads", win.transposePads()),
                Attr.ints("output_padding", win.outputPadding()), Attr.i("group", c.attrInt("group", 1)));
        c.addGrad(0, gx);
    }
}
