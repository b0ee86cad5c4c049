package org.explain4j.onnx.grad.propagation;

import ai.onnx.proto.OnnxMl.AttributeProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.RuleContext;
import org.explain4j.onnx.grad.rules.ConvRule;
import org.explain4j.onnx.grad.rules.Polyphase;
import org.explain4j.onnx.grad.rules.Windows;

/**
 * A Gemm, MatMul or Conv node seen as a linear layer {@code z = W x + b} with constant weights,
 * for the LRP rules: it re-emits the layer's forward pass on modified inputs and parameters
 * (Zennit's input and parameter modifiers) and the vector-Jacobian product of such a modified
 * layer with respect to its data input.
 *
 * <p>Gemm's {@code alpha} and {@code beta} are folded into the effective weight {@code alpha B}
 * and bias {@code beta C}, so that a rule that modifies parameters (clamping, squaring) sees the
 * parameters that the layer actually applies.
 */
final class LinearLayer {
    private final RuleContext c;
    private final String op;
    private final int data;
    private final int type;
    private final String weight;
    private final String bias;
    private final Windows geometry;

    private LinearLayer(RuleContext c, String op, int data, String weight, String bias, Windows geometry) {
        this.c = c;
        this.op = op;
        this.data = data;
        this.type = c.inputType(data);
        this.weight = weight;
        this.bias = bias;
        this.geometry = geometry;
    }

    /** The layer of {@code c.node()}; fails clearly where the weights depend on the input. */
    static LinearLayer of(RuleContext c) {
        switch (c.opType()) {
            case "Gemm" -> {
                c.requireNoGrad(1);
                c.requireNoGrad(2);
                float alpha = c.attrFloat("alpha", 1f);
                float beta = c.attrFloat("beta", 1f);
                String w = alpha == 1f ? c.input(1) : c.op("Mul", c.input(1), c.scalar(alpha, c.inputType(1)));
                String b = null;
                if (c.hasInput(2)) {
                    b = beta == 1f ? c.input(2) : c.op("Mul", c.input(2), c.scalar(beta, c.inputType(2)));
                }
                return new LinearLayer(c, "Gemm", 0, w, b, null);
            }
            case "MatMul" -> {
                if (c.needsGrad(0) && c.needsGrad(1)) {
                    throw c.unsupported("both operands depend on the input (e.g. attention scores); the LRP rules"
                            + " apply to a MatMul with a constant weight");
                }
                int d = c.needsGrad(1) ? 1 : 0;
                if (c.inputShape(1 - d).length != 2) {
                    throw c.unsupported("the LRP rules need a 2-D constant weight, but '" + c.input(1 - d)
                            + "' has shape " + Arrays.toString(c.inputShape(1 - d)));
                }
                return new LinearLayer(c, "MatMul", d, c.input(1 - d), null, null);
            }
            case "Conv" -> {
                c.requireNoGrad(1);
                c.requireNoGrad(2);
                long[] w = c.inputShape(1);
                Windows g = new Windows(c, Arrays.copyOfRange(w, 2, w.length));
                return new LinearLayer(c, "Conv", 0, c.input(1), c.hasInput(2) ? c.input(2) : null, g);
            }
            default -> throw c.unsupported("the LRP layer rules apply to Gemm, MatMul and Conv only");
        }
    }

    /** The data input. */
    String x() {
        return c.input(data);
    }

    /** The data input's shape. */
    long[] xShape() {
        return c.inputShape(data);
    }

    /** The effective weight. */
    String weight() {
        return weight;
    }

    /** The weight's shape. */
    long[] weightShape() {
        return c.inputShape(1 - data);
    }

    /** The effective bias, or null when the layer has none. */
    String bias() {
        return bias;
    }

    /** The layer's actual output {@code z}. */
    String z() {
        return c.output(0);
    }

    /** The element type of the data. */
    int type() {
        return type;
    }

    /** Adds {@code relevance} (the data input's shape) as the data input's contribution. */
    void addRelevance(String relevance) {
        c.addGrad(data, relevance);
    }

    /** The layer applied to input {@code x} with weight {@code w} and bias {@code b} (null for none). */
    String forward(String x, String w, String b) {
        return switch (op) {
            case "Gemm" -> {
                List<String> in = new ArrayList<>(List.of(x, w));
                if (b != null) {
                    in.add(b);
                }
                yield c.op("Gemm", in, Attr.i("transA", c.attrInt("transA", 0)),
                        Attr.i("transB", c.attrInt("transB", 0)));
            }
            case "MatMul" -> data == 0 ? c.op("MatMul", x, w) : c.op("MatMul", w, x);
            default -> {
                List<String> in = new ArrayList<>(List.of(x, w));
                if (b != null) {
                    in.add(b);
                }
                yield c.op("Conv", in, c.node().getAttributeList().toArray(new AttributeProto[0]));
            }
        };
    }

    /** The vector-Jacobian product of {@code g} (the output's shape) with the layer of weight {@code w}, w.r.t. x. */
    String backward(String g, String w) {
        return switch (op) {
            case "Gemm" -> c.attrInt("transA", 0) == 0
                    ? gemm(g, w, 0, 1 - c.attrInt("transB", 0))
                    : gemm(w, g, c.attrInt("transB", 0), 1);
            case "MatMul" -> {
                String wt = c.op("Transpose", w, Attr.ints("perm", 1, 0));
                yield data == 0 ? c.op("MatMul", g, wt) : c.op("MatMul", wt, g);
            }
            // the gradient rule's forms (flipped-kernel or phase convolutions, in ONNX Runtime's
            // blocked kernels); the ConvTranspose of earlier versions with explain4j.grad.stridedConv=transpose
            default -> Polyphase.mode().equals("transpose") ? ConvRule.transposed(c, geometry, g, w)
                    : ConvRule.inputGradient(c, geometry, g, w);
        };
    }

    private String gemm(String a, String b, long transA, long transB) {
        return c.op("Gemm", List.of(a, b), Attr.i("transA", transA), Attr.i("transB", transB));
    }
}
