package org.explain4j.onnx.grad.propagation;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import org.explain4j.onnx.grad.Attr;

/**
 * Small blocks of modern architectures, built in Java with seeded random weights and no biases
 * (so that the LRP rules that conserve relevance can be checked to). Each ends in a classifier
 * head with 3 outputs.
 */
final class ModernBlocks {
    private ModernBlocks() {
    }

    /**
     * MobileNetV2's inverted residual with EfficientNet's squeeze-and-excitation, float32, input
     * {@code [N, 4, 6, 6]}: 1x1 expansion, ReLU6 (Clip), depthwise 3x3, ReLU6, SE (global pool,
     * 1x1 conv, Relu, 1x1 conv, Sigmoid, Mul), 1x1 projection, residual Add, global pool, Gemm.
     */
    static ModelProto invertedResidual(Random rnd) {
        return Net.input(-1, 4, 6, 6).random("E", rnd, -1, 1, 8, 4, 1, 1).random("D", rnd, -1, 1, 8, 1, 3, 3)
                .random("S1", rnd, -1, 1, 4, 8, 1, 1).random("S2", rnd, -1, 1, 8, 4, 1, 1)
                .random("P", rnd, -1, 1, 4, 8, 1, 1).random("W", rnd, -1, 1, 3, 4)
                .init("lo", new long[0], 0).init("hi", new long[0], 6)
                .node("Conv", List.of("x", "E"), "e").node("Clip", List.of("e", "lo", "hi"), "e6")
                .node("Conv", List.of("e6", "D"), "d", Attr.ints("pads", 1, 1, 1, 1), Attr.i("group", 8))
                .node("Clip", List.of("d", "lo", "hi"), "d6")
                .node("GlobalAveragePool", "d6", "sq").node("Conv", List.of("sq", "S1"), "s1")
                .node("Relu", "s1", "s1r").node("Conv", List.of("s1r", "S2"), "s2").node("Sigmoid", "s2", "gate")
                .node("Mul", List.of("d6", "gate"), "se").node("Conv", List.of("se", "P"), "p")
                .node("Add", List.of("p", "x"), "res").node("GlobalAveragePool", "res", "g")
                .node("Flatten", "g", "f").node("Gemm", List.of("f", "W"), "y", Attr.i("transB", 1)).build("y");
    }

    /**
     * A squeeze-and-excitation block the naive re-implementation follows, float32, input
     * {@code [N, 3, 4, 4]}: {@code h = relu(conv1x1(x, K))}, gate
     * {@code sigmoid(W2 relu(W1 mean(h)))} reshaped to {@code [N, 6, 1, 1]}, {@code h * gate},
     * global pool, {@code Wo}.
     */
    static Net se(Random rnd) {
        return Net.input(-1, 3, 4, 4).random("K", rnd, -1, 1, 6, 3, 1, 1).random("W1", rnd, -1, 1, 3, 6)
                .random("W2", rnd, -1, 1, 6, 3).random("Wo", rnd, -1, 1, 3, 6).longs("gshape", -1, 6, 1, 1)
                .node("Conv", List.of("x", "K"), "c").node("Relu", "c", "h")
                .node("GlobalAveragePool", "h", "sq").node("Flatten", "sq", "sqf")
                .node("Gemm", List.of("sqf", "W1"), "z1", Attr.i("transB", 1)).node("Relu", "z1", "a1")
                .node("Gemm", List.of("a1", "W2"), "z2", Attr.i("transB", 1)).node("Sigmoid", "z2", "s")
                .node("Reshape", List.of("s", "gshape"), "gate").node("Mul", List.of("h", "gate"), "m")
                .node("GlobalAveragePool", "m", "p").node("Flatten", "p", "pf")
                .node("Gemm", List.of("pf", "Wo"), "y", Attr.i("transB", 1));
    }

    /**
     * A ConvNeXt block, float32, input {@code [N, 4, 5, 5]}: depthwise 3x3 conv, channels last,
     * LayerNormalization over channels, pointwise MatMul to 8, GELU, pointwise MatMul to 4,
     * channels first, residual Add, global pool, Gemm. GELU is the Gelu op (opset 20) when
     * {@code geluOp}, else written as {@code u * 0.5 * (1 + erf(u / sqrt 2))} (opset 17).
     */
    static ModelProto convNext(Random rnd, boolean geluOp) {
        Net n = Net.input(-1, 4, 5, 5).random("D", rnd, -1, 1, 4, 1, 3, 3).random("gamma", rnd, 0.5, 1.5, 4)
                .init("beta", new long[] {4}, 0, 0, 0, 0).random("W1", rnd, -1, 1, 4, 8)
                .random("W2", rnd, -1, 1, 8, 4).random("W", rnd, -1, 1, 3, 4)
                .node("Conv", List.of("x", "D"), "d", Attr.ints("pads", 1, 1, 1, 1), Attr.i("group", 4))
                .node("Transpose", "d", "dt", Attr.ints("perm", 0, 2, 3, 1))
                .node("LayerNormalization", List.of("dt", "gamma", "beta"), "ln", Attr.i("axis", -1))
                .node("MatMul", List.of("ln", "W1"), "u");
        if (geluOp) {
            n.node("Gelu", "u", "gelu");
        } else {
            n.init("rsqrt2", new long[0], 1 / Math.sqrt(2)).init("one", new long[0], 1).init("half", new long[0], 0.5)
                    .node("Mul", List.of("u", "rsqrt2"), "us").node("Erf", "us", "erf")
                    .node("Add", List.of("erf", "one"), "erf1").node("Mul", List.of("u", "half"), "uh")
                    .node("Mul", List.of("uh", "erf1"), "gelu");
        }
        return n.node("MatMul", List.of("gelu", "W2"), "pw")
                .node("Transpose", "pw", "pwt", Attr.ints("perm", 0, 3, 1, 2))
                .node("Add", List.of("pwt", "x"), "res").node("GlobalAveragePool", "res", "g")
                .node("Flatten", "g", "f").node("Gemm", List.of("f", "W"), "y", Attr.i("transB", 1))
                .build("y", geluOp ? 20 : 17);
    }

    /** Sizes of the attention block: tokens, model width, heads. */
    static final int T = 4;
    static final int D = 6;

    /**
     * Self-attention with {@code heads} heads and a causal mask, float64, input {@code [N, 4, 6]}:
     * {@code q, k, v = x Wq, x Wk, x Wv}, per head {@code softmax(q k^T / sqrt(dh) + mask) v}
     * (mask -1e4 above the diagonal), heads concatenated, {@code Wo}, residual Add, mean over
     * tokens (ReduceMean), Gemm {@code Wc}.
     */
    static Net attention(Random rnd, int heads) {
        int dh = D / heads;
        double[] mask = new double[T * T];
        for (int t = 0; t < T; t++) {
            for (int u = t + 1; u < T; u++) {
                mask[t * T + u] = -1e4;
            }
        }
        Net n = Net.input64(-1, T, D).random("Wq", rnd, -1, 1, D, D).random("Wk", rnd, -1, 1, D, D)
                .random("Wv", rnd, -1, 1, D, D).random("Wo", rnd, -1, 1, D, D).random("Wc", rnd, -1, 1, 3, D)
                .init("scale", new long[0], 1 / Math.sqrt(dh)).init("mask", new long[] {T, T}, mask)
                .node("MatMul", List.of("x", "Wq"), "q").node("MatMul", List.of("x", "Wk"), "k")
                .node("MatMul", List.of("x", "Wv"), "v");
        if (heads == 1) {
            n.node("Transpose", "k", "kt", Attr.ints("perm", 0, 2, 1)).node("MatMul", List.of("q", "kt"), "s");
        } else {
            n.longs("heads", -1, T, heads, dh).longs("merged", -1, T, D)
                    .node("Reshape", List.of("q", "heads"), "q4")
                    .node("Transpose", "q4", "qh", Attr.ints("perm", 0, 2, 1, 3))
                    .node("Reshape", List.of("k", "heads"), "k4")
                    .node("Transpose", "k4", "kt", Attr.ints("perm", 0, 2, 3, 1))
                    .node("Reshape", List.of("v", "heads"), "v4")
                    .node("Transpose", "v4", "vh", Attr.ints("perm", 0, 2, 1, 3))
                    .node("MatMul", List.of("qh", "kt"), "s");
        }
        n.node("Mul", List.of("s", "scale"), "ss").node("Add", List.of("ss", "mask"), "sm")
                .node("Softmax", "sm", "pr", Attr.i("axis", -1));
        if (heads == 1) {
            n.node("MatMul", List.of("pr", "v"), "o");
        } else {
            n.node("MatMul", List.of("pr", "vh"), "oh").node("Transpose", "oh", "o4", Attr.ints("perm", 0, 2, 1, 3))
                    .node("Reshape", List.of("o4", "merged"), "o");
        }
        return n.node("MatMul", List.of("o", "Wo"), "a").node("Add", List.of("a", "x"), "r")
                .node("ReduceMean", "r", "m", Attr.ints("axes", 1), Attr.i("keepdims", 0))
                .node("Gemm", List.of("m", "Wc"), "y", Attr.i("transB", 1));
    }

    /**
     * A SwiGLU-style gated MLP, float32 (ONNX Runtime fuses {@code a * sigmoid(a)} into a float-only
     * kernel), input {@code [N, 6]}: {@code (silu(x W1) * (x W2)) W3}, silu as {@code a * sigmoid(a)}.
     */
    static ModelProto gatedMlp(Random rnd) {
        return Net.input(-1, 6).random("W1", rnd, -1, 1, 6, 8).random("W2", rnd, -1, 1, 6, 8)
                .random("W3", rnd, -1, 1, 8, 3)
                .node("MatMul", List.of("x", "W1"), "a").node("Sigmoid", "a", "sa")
                .node("Mul", List.of("a", "sa"), "silu")
                .node("MatMul", List.of("x", "W2"), "b").node("Mul", List.of("silu", "b"), "h")
                .node("MatMul", List.of("h", "W3"), "y").build("y");
    }

    /**
     * A DenseNet block, float32, input {@code [N, 4, 5, 5]}: BatchNormalization straight on the
     * input, Relu, 3x3 conv, concatenation with the input, BatchNormalization, Relu, 1x1 conv,
     * global pool, Gemm. Neither BatchNormalization follows a conv, so neither is folded. The
     * normalisations' means and shifts are 0 (no effective bias) unless {@code shifted}.
     */
    static ModelProto denseNet(Random rnd, boolean shifted) {
        double s = shifted ? 1 : 0;
        return Net.input(-1, 4, 5, 5).random("g1", rnd, 0.5, 1.5, 4).random("b1", rnd, -s, s, 4)
                .random("m1", rnd, -s, s, 4).random("v1", rnd, 0.5, 2, 4).random("K", rnd, -1, 1, 4, 4, 3, 3)
                .random("g2", rnd, 0.5, 1.5, 8).random("b2", rnd, -s, s, 8).random("m2", rnd, -s, s, 8)
                .random("v2", rnd, 0.5, 2, 8).random("P", rnd, -1, 1, 6, 8, 1, 1).random("W", rnd, -1, 1, 3, 6)
                .node("BatchNormalization", List.of("x", "g1", "b1", "m1", "v1"), "n1").node("Relu", "n1", "r1")
                .node("Conv", List.of("r1", "K"), "c1", Attr.ints("pads", 1, 1, 1, 1))
                .node("Concat", List.of("x", "c1"), "cat", Attr.i("axis", 1))
                .node("BatchNormalization", List.of("cat", "g2", "b2", "m2", "v2"), "n2").node("Relu", "n2", "r2")
                .node("Conv", List.of("r2", "P"), "p").node("GlobalAveragePool", "p", "g").node("Flatten", "g", "f")
                .node("Gemm", List.of("f", "W"), "y", Attr.i("transB", 1)).build("y");
    }
}
