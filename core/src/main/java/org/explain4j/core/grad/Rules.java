package org.explain4j.core.grad;

import java.util.List;

/**
 * The propagation vocabulary in one place: the names of the rules a {@link RuleSet} can assign
 * and the groups of ONNX op types the built-in rule sets assign them to. A backend registers an
 * implementation under each rule name for the op types listed with it.
 *
 * <p>Rules: {@value #GRADIENT} (the op's ordinary gradient), {@value #PASS} (the incoming gradient
 * or relevance passes unchanged to the data input), {@value #REFUSE} (building fails), the ReLU
 * backward variants {@value #GUIDED_RELU}, {@value #DECONV_RELU} and {@value #SMOOTH_RELU}, DeepLIFT's
 * {@value #RESCALE} and {@value #DEEPLIFT_MAXPOOL} (the batch holds the inputs followed by their
 * references), DeepLIFT's {@value #DEEPLIFT_PRODUCT}, {@value #DEEPLIFT_SOFTMAX} and
 * {@value #DEEPLIFT_LAYERNORM}, the LRP layer rules of {@link #LAYER_RULES}, the {@value #NORM} rule,
 * and AttnLRP's {@value #UNIFORM}, {@value #GATE}, {@value #SOFTMAX_TAYLOR} and {@value #LAYERNORM_EPSILON}.
 */
public final class Rules {
    /** The op's ordinary gradient. */
    public static final String GRADIENT = "gradient";
    /** The gradient or relevance goes unchanged to input 0 (Zennit's {@code Pass}). */
    public static final String PASS = "pass";
    /** The rule a strict rule set gives every op it does not model: building fails. */
    public static final String REFUSE = "refuse";
    /** Guided backpropagation's ReLU: {@code relu(g) * (x > 0)}. */
    public static final String GUIDED_RELU = "guided-relu";
    /** Deconvolution's ReLU: {@code relu(g)}. */
    public static final String DECONV_RELU = "deconv-relu";
    /** A ReLU whose backward is softplus's: {@code g * sigmoid(beta_smooth * x)} (Zennit's {@code BetaSmooth}). */
    public static final String SMOOTH_RELU = "smooth-relu";
    /** DeepLIFT's rescale multiplier for elementwise nonlinearities. */
    public static final String RESCALE = "rescale";
    /** DeepLIFT's MaxPool rule. */
    public static final String DEEPLIFT_MAXPOOL = "deeplift-maxpool";
    /** LRP-epsilon. */
    public static final String EPSILON = "epsilon";
    /** LRP-0. */
    public static final String ZERO = "zero";
    /** The generalised LRP-gamma rule. */
    public static final String GAMMA = "gamma";
    /** LRP z+. */
    public static final String ZPLUS = "zplus";
    /** LRP alpha-beta. */
    public static final String ALPHA_BETA = "alpha-beta";
    /** LRP flat. */
    public static final String FLAT = "flat";
    /** LRP w-square. */
    public static final String W_SQUARE = "w-square";
    /** LRP z^B for bounded inputs. */
    public static final String ZBOX = "zbox";
    /** The norm rule of sums and differences, average pooling and mean/sum reductions: each input's share of the output. */
    public static final String NORM = "norm";
    /**
     * LRP at an elementwise product of two activations (Mul): half the relevance to each factor
     * (AttnLRP's uniform rule, Achtibat et al., 2024, Proposition 3.2); with one constant factor,
     * or at a division by a constant, all of it to the other (the identity rule).
     */
    public static final String UNIFORM = "uniform";
    /**
     * LRP at a gate (Mul, Div by a constant): where one factor is broadcast over the other
     * (squeeze-and-excitation's {@code [N, C, 1, 1]} gate), the gate is a constant re-weighting and
     * all the relevance goes to the gated tensor; factors of equal shape get {@value #UNIFORM}.
     */
    public static final String GATE = "gate";
    /** AttnLRP's softmax rule (Proposition 3.1): {@code R_x = x * (R - y * sum(R))} along the softmax axis. */
    public static final String SOFTMAX_TAYLOR = "softmax-taylor";
    /**
     * LRP at LayerNormalization (AttnLRP): the division by the standard deviation passes relevance
     * unchanged (identity rule), so the layer is the linear map {@code gamma (x - mean(x)) / sigma + beta}
     * with sigma fixed, under the epsilon rule.
     */
    public static final String LAYERNORM_EPSILON = "layernorm-epsilon";
    /**
     * DeepLIFT at a product of two activations (Mul, MatMul): {@code z = a b} splits as
     * {@code dz = da (b + b_ref) / 2 + (a + a_ref) / 2 db}, exactly; with a constant factor (or a
     * division by a constant) the op is linear and gets its gradient.
     */
    public static final String DEEPLIFT_PRODUCT = "deeplift-product";
    /**
     * DeepLIFT at Softmax, on its decomposition {@code exp(x - c) / sum(exp(x - c))} ({@code c} the
     * example's maximum over input and reference): rescale on exp, the product rule, and the exact
     * multiplier {@code -1 / (s s_ref)} of the reciprocal; complete, and never mixes examples.
     */
    public static final String DEEPLIFT_SOFTMAX = "deeplift-softmax";
    /**
     * DeepLIFT at LayerNormalization, on its decomposition: centring (linear), square (exact
     * multiplier {@code c + c_ref}), mean (linear), {@code (v + eps)^(-1/2)} (rescale), the product
     * of the centred input and that factor (product rule) and the affine map (linear); complete.
     */
    public static final String DEEPLIFT_LAYERNORM = "deeplift-layernorm";
    /** The LRP rules of linear layers ({@link #LINEAR}). */
    public static final List<String> LAYER_RULES = List.of(EPSILON, ZERO, GAMMA, ZPLUS, ALPHA_BETA, FLAT, W_SQUARE,
            ZBOX);

    /** The op-type selector that matches any op. */
    public static final String ANY_OP = "*";
    /**
     * Ops whose ordinary gradient moves relevance without creating or losing it. Resize is linear
     * with constant interpolation weights that sum to 1 for every output (nearest, linear and cubic,
     * any coordinate mode): its gradient, the transpose of the interpolation matrix, conserves
     * relevance exactly, and for DeepLIFT it is exact (a linear map).
     */
    public static final List<String> STRUCTURAL = List.of("Identity", "Dropout", "Reshape", "Flatten", "Squeeze",
            "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather", "Pad", "Cast", "MaxPool", "Expand",
            "Resize");
    /**
     * Elementwise activations, and the elementwise nonlinearities of {@link #ELEMENTWISE_MATH}
     * (LRP passes relevance through them).
     */
    public static final List<String> ACTIVATIONS = List.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Softplus",
            "Erf", "PRelu", "Clip", "HardSigmoid", "HardSwish", "Selu", "Gelu", "Sqrt", "Pow", "Reciprocal", "Log",
            "Exp");
    /**
     * Elementwise nonlinearities that are not activation layers but appear on explained paths
     * (Silero's STFT magnitude {@code sqrt(re^2 + im^2)}, decomposed LayerNorms' {@code Pow} and
     * {@code Sqrt}): Sqrt, Pow with a constant exponent, Reciprocal, Log, Exp. DeepLIFT gives them
     * {@value #RESCALE}, LRP {@value #PASS}.
     */
    public static final List<String> ELEMENTWISE_MATH = List.of("Sqrt", "Pow", "Reciprocal", "Log", "Exp");
    /** Dense layers. */
    public static final List<String> DENSE = List.of("Gemm", "MatMul");
    /** Convolutions. */
    public static final List<String> CONV = List.of("Conv");
    /** Linear layers, the op types of {@link #LAYER_RULES}: dense and convolutional. */
    public static final List<String> LINEAR = List.of("Gemm", "MatMul", "Conv");
    /** The op types of the {@value #NORM} rule. */
    public static final List<String> NORM_OPS = List.of("Add", "Sub", "Sum", "AveragePool", "GlobalAveragePool",
            "ReduceMean", "ReduceSum");
    /** The op types of the {@value #RESCALE} rule: elementwise nonlinearities. */
    public static final List<String> RESCALE_OPS = List.of("Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Softplus",
            "Clip", "HardSigmoid", "HardSwish", "Selu", "Gelu", "Erf", "Exp", "PRelu", "Sqrt", "Pow", "Reciprocal",
            "Log");
    /** The nonlinearities Captum's DeepLift gives its rescale rule (its {@code SUPPORTED_NON_LINEAR} activations). */
    public static final List<String> CAPTUM_RESCALE_OPS = List.of("Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh",
            "Softplus");
    /** Products of two tensors that may both depend on the input (gates, attention). */
    public static final List<String> PRODUCT_OPS = List.of("Mul", "Div");
    /** The stabiliser of Zennit's non-epsilon rules (z+, gamma, alpha-beta, flat, z^B) and of its norm rule. */
    public static final double ZENNIT_STABILIZER = 1e-6;

    private Rules() {
    }
}
