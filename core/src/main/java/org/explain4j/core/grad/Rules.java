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
 * references), the LRP layer rules of {@link #LAYER_RULES} and the {@value #NORM} rule.
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
    /** The norm rule of sums and average pooling: each input's share of the output. */
    public static final String NORM = "norm";
    /** The LRP rules of linear layers ({@link #LINEAR}). */
    public static final List<String> LAYER_RULES = List.of(EPSILON, ZERO, GAMMA, ZPLUS, ALPHA_BETA, FLAT, W_SQUARE,
            ZBOX);

    /** The op-type selector that matches any op. */
    public static final String ANY_OP = "*";
    /** Ops whose ordinary gradient moves relevance without creating or losing it. */
    public static final List<String> STRUCTURAL = List.of("Identity", "Dropout", "Reshape", "Flatten", "Squeeze",
            "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather", "Pad", "Cast", "MaxPool", "Expand");
    /** Elementwise activations. */
    public static final List<String> ACTIVATIONS = List.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Softplus",
            "Erf", "PRelu", "Clip");
    /** Dense layers. */
    public static final List<String> DENSE = List.of("Gemm", "MatMul");
    /** Convolutions. */
    public static final List<String> CONV = List.of("Conv");
    /** Linear layers, the op types of {@link #LAYER_RULES}: dense and convolutional. */
    public static final List<String> LINEAR = List.of("Gemm", "MatMul", "Conv");
    /** The op types of the {@value #NORM} rule. */
    public static final List<String> NORM_OPS = List.of("Add", "Sum", "AveragePool", "GlobalAveragePool");
    /** The op types of the {@value #RESCALE} rule. */
    public static final List<String> RESCALE_OPS = List.of("Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Softplus");
    /** The stabiliser of Zennit's non-epsilon rules (z+, gamma, alpha-beta, flat, z^B) and of its norm rule. */
    public static final double ZENNIT_STABILIZER = 1e-6;

    private Rules() {
    }
}
