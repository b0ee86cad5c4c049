package org.explain4j.onnx.grad.propagation;

import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.Rules;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleRegistry;

/**
 * The rules behind {@link Rules}' rule names for the ONNX backend: the default gradient
 * rules plus every named propagation rule, registered for the op types it applies to.
 *
 * <ul>
 *   <li>{@code gradient}: the op's default gradient rule ({@code DefaultRules}); {@code pass}: the
 *       gradient goes unchanged to input 0; {@code refuse}: building fails, naming the rule set, op,
 *       node and opset;</li>
 *   <li>{@code guided-relu}, {@code deconv-relu}, {@code smooth-relu} (Relu);</li>
 *   <li>{@code rescale} (the elementwise nonlinearities of {@code Rules.RESCALE_OPS}) and {@code deeplift-maxpool}
 *       (MaxPool): DeepLIFT over a batch of inputs followed by their references;</li>
 *   <li>LRP on Gemm, MatMul (constant weight) and Conv: {@code epsilon}, {@code zero},
 *       {@code gamma}, {@code zplus}, {@code alpha-beta}, {@code flat}, {@code w-square},
 *       {@code zbox}, all declarations of {@link ModifiedLinearRule} ({@link LinearRules}); and
 *       {@code norm} on Add, Sum, AveragePool, GlobalAveragePool, ReduceMean and ReduceSum;</li>
 *   <li>for transformers and gated nets (AttnLRP): {@code epsilon} on a MatMul of two activations
 *       ({@link BilinearEpsilonRule}), {@code uniform} and {@code gate} on Mul and Div
 *       ({@link ProductRelevanceRule}), {@code softmax-taylor} ({@link SoftmaxTaylorRule}),
 *       {@code layernorm-epsilon} ({@link LayerNormEpsilonRule}); {@code epsilon} on an unfolded
 *       BatchNormalization ({@link BatchNormEpsilonRule});</li>
 *   <li>DeepLIFT beyond rescale: {@code deeplift-product} (Mul, Div, MatMul), {@code deeplift-softmax},
 *       {@code deeplift-layernorm}.</li>
 * </ul>
 *
 * Use it with {@code new OnnxDifferentiableModel(model, PropagationRegistry.standard())}, which
 * also applies the {@link Canonizers} each rule set asks for ({@link org.explain4j.core.grad.RuleSet#canonizers()}).
 */
public final class PropagationRegistry {
    private PropagationRegistry() {
    }

    /** The default gradient rules and every propagation rule. */
    public static RuleRegistry standard() {
        return addTo(RuleRegistry.defaults());
    }

    /**
     * {@code base} with every propagation rule added; the {@code gradient} rule of an op type is
     * {@code base}'s gradient rule for it.
     */
    public static RuleRegistry addTo(RuleRegistry base) {
        RuleRegistry r = base;
        for (String op : base.gradientOps()) {
            r = r.withRule(Rules.GRADIENT, op, base.gradient(op).orElseThrow());
        }
        r = r.withRule(Rules.GRADIENT, Rules.ANY_OP, new MissingGradientRule());
        OpRule dropout = base.gradient("Dropout").orElseGet(() -> RuleRegistry.defaults().gradient("Dropout")
                .orElseThrow());
        r = r.withRule(Rules.PASS, Rules.ANY_OP, new PassRule(dropout));
        r = r.withRule(Rules.REFUSE, Rules.ANY_OP, new RefuseRule(base.gradientOps()));
        r = r.withRule(Rules.GUIDED_RELU, "Relu", new GuidedReluRule(false));
        r = r.withRule(Rules.DECONV_RELU, "Relu", new GuidedReluRule(true));
        r = r.withRule(Rules.SMOOTH_RELU, "Relu", new SmoothReluRule());
        for (String op : Rules.RESCALE_OPS) {
            r = r.withRule(Rules.RESCALE, op, new RescaleRule());
        }
        r = r.withRule(Rules.DEEPLIFT_MAXPOOL, "MaxPool", new DeepLiftMaxPoolRule());
        Map<String, OpRule> layer = Map.of(Rules.EPSILON, LinearRules.epsilon(), Rules.ZERO, LinearRules.zero(),
                Rules.GAMMA, LinearRules.gamma(), Rules.ZPLUS, LinearRules.zPlus(), Rules.ALPHA_BETA,
                LinearRules.alphaBeta(), Rules.FLAT, LinearRules.flat(), Rules.W_SQUARE, LinearRules.wSquare(),
                Rules.ZBOX, LinearRules.zBox(null, null));
        for (String rule : Rules.LAYER_RULES) {
            for (String op : Rules.LINEAR) {
                r = r.withRule(rule, op, layer.get(rule));
            }
        }
        for (String op : Rules.NORM_OPS) {
            r = r.withRule(Rules.NORM, op, new NormRule());
        }
        // epsilon on a MatMul of two activations (attention) is AttnLRP's bilinear rule
        OpRule denseEpsilon = layer.get(Rules.EPSILON);
        OpRule bilinear = new BilinearEpsilonRule();
        r = r.withRule(Rules.EPSILON, "MatMul", c -> (c.needsGrad(0) && c.needsGrad(1) ? bilinear : denseEpsilon)
                .backward(c));
        r = r.withRule(Rules.EPSILON, "BatchNormalization", new BatchNormEpsilonRule());
        for (String op : Rules.PRODUCT_OPS) {
            r = r.withRule(Rules.UNIFORM, op, new ProductRelevanceRule(false));
            r = r.withRule(Rules.GATE, op, new ProductRelevanceRule(true));
        }
        r = r.withRule(Rules.SOFTMAX_TAYLOR, "Softmax", new SoftmaxTaylorRule());
        r = r.withRule(Rules.LAYERNORM_EPSILON, "LayerNormalization", new LayerNormEpsilonRule());
        for (String op : java.util.List.of("Mul", "Div", "MatMul")) {
            OpRule g = r.named(Rules.GRADIENT, op).orElseThrow();
            r = r.withRule(Rules.DEEPLIFT_PRODUCT, op, new DeepLiftProductRule(g));
        }
        r = r.withRule(Rules.DEEPLIFT_SOFTMAX, "Softmax", new DeepLiftSoftmaxRule());
        r = r.withRule(Rules.DEEPLIFT_LAYERNORM, "LayerNormalization", new DeepLiftLayerNormRule());
        return r;
    }

    /**
     * {@code base} with the {@code zbox} rule using per-element bounds (Zennit's tensors
     * {@code low} and {@code high}, e.g. per channel {@code (1, C, 1, 1)} or one example's shape)
     * instead of the scalar parameters.
     */
    public static RuleRegistry withBoxBounds(RuleRegistry base, Tensor low, Tensor high) {
        if (low == null || high == null) {
            throw new IllegalArgumentException("low and high are required");
        }
        RuleRegistry r = base;
        OpRule zBox = LinearRules.zBox(low, high);
        for (String op : Rules.LINEAR) {
            r = r.withRule(Rules.ZBOX, op, zBox);
        }
        return r;
    }
}
