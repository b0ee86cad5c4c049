package org.explain4j.onnx.grad.propagation;

import java.util.List;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.onnx.grad.OpRule;
import org.explain4j.onnx.grad.RuleRegistry;

/**
 * The rules behind {@link PropagationRules}' rule sets for the ONNX backend: the default gradient
 * rules plus every named propagation rule, registered for the op types it applies to.
 *
 * <ul>
 *   <li>{@code gradient}: the op's default gradient rule ({@code DefaultRules}); {@code pass}: the
 *       gradient goes unchanged to input 0; {@code refuse}: building fails, naming the rule set, op,
 *       node and opset;</li>
 *   <li>{@code guided-relu}, {@code deconv-relu} (Relu);</li>
 *   <li>{@code rescale} (Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softplus) and {@code deeplift-maxpool}
 *       (MaxPool): DeepLIFT over a batch of inputs followed by their references;</li>
 *   <li>LRP on Gemm, MatMul (constant weight) and Conv: {@code epsilon}, {@code zero},
 *       {@code gamma}, {@code zplus}, {@code alpha-beta}, {@code flat}, {@code w-square},
 *       {@code zbox}; and {@code norm} on Add, Sum, AveragePool and GlobalAveragePool.</li>
 * </ul>
 *
 * Use it with {@code new OnnxDifferentiableModel(model, PropagationRegistry.standard())}, which
 * also applies the {@link Canonizers} for every rule set other than the plain gradient.
 */
public final class PropagationRegistry {
    /** The op types of the LRP layer rules. */
    public static final List<String> LINEAR_OPS = List.of("Gemm", "MatMul", "Conv");
    /** The op types of the norm rule. */
    public static final List<String> NORM_OPS = List.of("Add", "Sum", "AveragePool", "GlobalAveragePool");
    /** The op types of the rescale rule. */
    public static final List<String> RESCALE_OPS = List.of("Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Softplus");

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
            r = r.withRule("gradient", op, base.gradient(op).orElseThrow());
        }
        r = r.withRule("gradient", RuleRegistry.ANY_OP, new NoGradientRule());
        OpRule dropout = base.gradient("Dropout").orElseGet(() -> RuleRegistry.defaults().gradient("Dropout")
                .orElseThrow());
        r = r.withRule("pass", RuleRegistry.ANY_OP, new PassRule(dropout));
        r = r.withRule(PropagationRules.REFUSE, RuleRegistry.ANY_OP, new RefuseRule());
        r = r.withRule("guided-relu", "Relu", new GuidedReluRule(false));
        r = r.withRule("deconv-relu", "Relu", new GuidedReluRule(true));
        for (String op : RESCALE_OPS) {
            r = r.withRule("rescale", op, new RescaleRule());
        }
        r = r.withRule("deeplift-maxpool", "MaxPool", new DeepLiftMaxPoolRule());
        for (String op : LINEAR_OPS) {
            r = r.withRule("epsilon", op, new EpsilonRule(false))
                    .withRule("zero", op, new EpsilonRule(true))
                    .withRule("gamma", op, new GammaRule())
                    .withRule("zplus", op, new ZPlusRule())
                    .withRule("alpha-beta", op, new AlphaBetaRule())
                    .withRule("flat", op, new FlatRule(false))
                    .withRule("w-square", op, new FlatRule(true))
                    .withRule("zbox", op, new ZBoxRule());
        }
        for (String op : NORM_OPS) {
            r = r.withRule("norm", op, new NormRule());
        }
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
        for (String op : LINEAR_OPS) {
            r = r.withRule("zbox", op, new ZBoxRule(low, high));
        }
        return r;
    }
}
