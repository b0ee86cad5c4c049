package org.explain4j.core.grad;

import static org.explain4j.core.grad.RuleSet.Assignment.op;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.grad.Composite.Parameter;
import org.explain4j.core.grad.Composite.Seed;

/**
 * The built-in composites, in one list ({@link #all()}): Captum's {@code epsilon} and Zennit
 * 0.5.1's composites ({@code zennit.composites}) under their command-line names, plus the
 * modified gradients guided backprop, deconvolution and beta-smooth. In every LRP composite
 * max pooling and structural ops use their gradient, sums, average pooling and reductions the norm
 * rule, products, softmax and LayerNorm AttnLRP's rules (Achtibat et al., 2024), and any op it does
 * not name is refused; LRP composites merge BatchNorm into the layer before it.
 */
public final class Composites {
    private static final List<Canonizer> MERGE = List.of(Canonizer.MERGE_BATCH_NORM);

    /** Captum's LRP: epsilon (default 1e-9) on every conv and dense layer, activations pass. */
    public static final Composite EPSILON = new Composite("epsilon",
            "epsilon rule on every conv and dense layer (Captum's LRP)", Map.of(Parameter.EPSILON, 1e-9),
            Seed.OUTPUT, MERGE, v -> {
                List<RuleSet.Assignment> o = new ArrayList<>();
                Map<String, Double> eps = Map.of("epsilon", v.get(Parameter.EPSILON));
                for (String l : Rules.LINEAR) {
                    o.add(op(l, Rules.EPSILON, eps));
                }
                o.addAll(lrpRest(eps));
                return o;
            });

    /** Zennit's {@code EpsilonPlus}: z+ on every conv, epsilon (1e-6) on every dense layer. */
    public static final Composite EPSILON_PLUS = new Composite("epsilon-plus",
            "z+ on convolutions, epsilon on dense layers (Zennit EpsilonPlus)", Map.of(Parameter.EPSILON,
            Rules.ZENNIT_STABILIZER), Seed.OUTPUT, MERGE, v -> zennit(v, convRule(Rules.ZPLUS, stab())));

    /** Zennit's {@code EpsilonPlusFlat}: as epsilon-plus, with flat on the first conv or dense layer. */
    public static final Composite EPSILON_PLUS_FLAT = EPSILON_PLUS.withFirst(List.of(firstLayer(Rules.FLAT, stab())))
            .named("epsilon-plus-flat", "flat on the first layer, then epsilon-plus (Zennit EpsilonPlusFlat)");

    /** Zennit's {@code EpsilonAlpha2Beta1}: alpha-beta (alpha = 1 + B, beta = B, default B = 1) on convs. */
    public static final Composite EPSILON_ALPHA2_BETA1 = new Composite("epsilon-alpha2-beta1",
            "alpha-beta (alpha = 1 + beta) on convolutions, epsilon on dense layers (Zennit EpsilonAlpha2Beta1)",
            Map.of(Parameter.EPSILON, Rules.ZENNIT_STABILIZER, Parameter.BETA, 1.0), Seed.OUTPUT, MERGE,
            v -> zennit(v, convRule(Rules.ALPHA_BETA, Map.of("alpha", 1 + v.get(Parameter.BETA),
                    "beta", v.get(Parameter.BETA), "stabilizer", Rules.ZENNIT_STABILIZER))));

    /** Zennit's {@code EpsilonAlpha2Beta1Flat}: flat on the first conv or dense layer, then epsilon-alpha2-beta1. */
    public static final Composite EPSILON_ALPHA2_BETA1_FLAT = EPSILON_ALPHA2_BETA1
            .withFirst(List.of(firstLayer(Rules.FLAT, stab())))
            .named("epsilon-alpha2-beta1-flat", "flat on the first layer, then epsilon-alpha2-beta1"
                    + " (Zennit EpsilonAlpha2Beta1Flat)");

    /**
     * Zennit's {@code EpsilonGammaBox}: z^B on the first layer if it is a conv, gamma (default 0.25)
     * on the other convs, epsilon on dense layers.
     */
    public static final Composite EPSILON_GAMMA_BOX = new Composite("epsilon-gamma-box",
            "z^B on a first conv, gamma on the other convs, epsilon on dense layers (Zennit EpsilonGammaBox)",
            Map.of(Parameter.EPSILON, Rules.ZENNIT_STABILIZER, Parameter.GAMMA, 0.25, Parameter.LOW, 0.0,
                    Parameter.HIGH, 1.0), Seed.OUTPUT, MERGE, v -> {
                List<RuleSet.Assignment> o = new ArrayList<>();
                // A dense first layer keeps epsilon: the first dense layer is selected (for the
                // epsilon it gets anyway) before the first linear layer, which is then z^B only
                // when it is a conv.
                o.add(new RuleSet.Assignment(new RuleSet.Selector.FirstLayer(Rules.DENSE), Rules.EPSILON,
                        Map.of("epsilon", v.get(Parameter.EPSILON))));
                o.add(firstLayer(Rules.ZBOX, Map.of("low", v.get(Parameter.LOW), "high", v.get(Parameter.HIGH),
                        "stabilizer", Rules.ZENNIT_STABILIZER)));
                o.addAll(zennit(v, convRule(Rules.GAMMA, Map.of("gamma", v.get(Parameter.GAMMA),
                        "stabilizer", Rules.ZENNIT_STABILIZER))));
                return o;
            });

    /**
     * Zennit's {@code ExcitationBackprop}: z+ on every conv and dense layer (first and output layer
     * included), the norm rule on sums and average pooling; no pass entries, so activations,
     * BatchNorm and MaxPool use their own gradient.
     */
    public static final Composite EXCITATION_BACKPROP = new Composite("excitation-backprop",
            "z+ on every conv and dense layer, activations' own gradient (Zennit ExcitationBackprop)", Map.of(),
            Seed.OUTPUT, MERGE, v -> {
                List<RuleSet.Assignment> o = new ArrayList<>();
                for (String l : Rules.LINEAR) {
                    o.add(op(l, Rules.ZPLUS, stab()));
                }
                for (String n : Rules.NORM_OPS) {
                    o.add(op(n, Rules.NORM, stab()));
                }
                for (String a : Rules.ACTIVATIONS) {
                    o.add(op(a, Rules.GRADIENT));
                }
                o.add(op("BatchNormalization", Rules.GRADIENT));
                for (String s : Rules.STRUCTURAL) {
                    o.add(op(s, Rules.GRADIENT));
                }
                o.add(op(Rules.ANY_OP, Rules.REFUSE));
                return o;
            });

    /**
     * Zennit's {@code BetaSmooth(beta_smooth=10)}: each ReLU's backward multiplies by
     * {@code sigmoid(10 z)} (softplus's derivative), z its input; every other op its gradient.
     */
    public static final Composite BETA_SMOOTH = new Composite("beta-smooth",
            "ReLU backward as softplus with beta 10, plain gradient elsewhere (Zennit BetaSmooth)", Map.of(),
            Seed.ONE, List.of(), v -> List.of(op("Relu", Rules.SMOOTH_RELU, Map.of("beta_smooth", 10.0))));

    /** Guided backpropagation (Springenberg et al., 2015; Zennit's {@code GuidedBackprop}). */
    public static final Composite GUIDED_BACKPROP = new Composite("guided-backprop",
            "positive gradients through positive ReLUs (Zennit GuidedBackprop)", Map.of(), Seed.ONE, List.of(),
            v -> List.of(op("Relu", Rules.GUIDED_RELU)));

    /** Deconvolution (Zeiler and Fergus, 2014; Zennit's {@code DeconvNet}). */
    public static final Composite DECONVOLUTION = new Composite("deconvolution",
            "positive gradients through ReLUs, regardless of the input (Zennit DeconvNet)", Map.of(), Seed.ONE,
            List.of(), v -> List.of(op("Relu", Rules.DECONV_RELU)));

    private static final List<Composite> ALL = List.of(EPSILON, EPSILON_PLUS, EPSILON_PLUS_FLAT, EPSILON_ALPHA2_BETA1,
            EPSILON_ALPHA2_BETA1_FLAT, EPSILON_GAMMA_BOX, EXCITATION_BACKPROP, BETA_SMOOTH, GUIDED_BACKPROP,
            DECONVOLUTION);

    private Composites() {
    }

    /** Every built-in composite. */
    public static List<Composite> all() {
        return ALL;
    }

    /** The names of the built-in composites. */
    public static List<String> names() {
        return ALL.stream().map(Composite::name).toList();
    }

    /** A built-in composite by name (case-insensitive); a usage error naming {@code composite} otherwise. */
    public static Composite byName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return ALL.stream().filter(c -> c.name().equals(n)).findFirst().orElseThrow(() -> Explain4jException.usage(
                "composite", "composite '" + name + "' is not one of " + String.join(", ", names())));
    }

    private static Map<String, Double> stab() {
        return Map.of("stabilizer", Rules.ZENNIT_STABILIZER);
    }

    private static RuleSet.Assignment firstLayer(String rule, Map<String, Double> params) {
        return new RuleSet.Assignment(new RuleSet.Selector.FirstLayer(Rules.LINEAR), rule, params);
    }

    private static List<RuleSet.Assignment> convRule(String rule, Map<String, Double> params) {
        return Rules.CONV.stream().map(c -> op(c, rule, params)).toList();
    }

    /** Zennit's layout: the given conv rules, epsilon on dense layers, then the common rest. */
    private static List<RuleSet.Assignment> zennit(Composite.Values v, List<RuleSet.Assignment> conv) {
        List<RuleSet.Assignment> o = new ArrayList<>(conv);
        for (String d : Rules.DENSE) {
            o.add(op(d, Rules.EPSILON, Map.of("epsilon", v.get(Parameter.EPSILON))));
        }
        o.addAll(lrpRest(stab()));
        return o;
    }

    /**
     * What every LRP composite but excitation-backprop gives the ops that are not linear layers:
     * activations pass; sums, average pooling and mean/sum reductions get the norm rule; AttnLRP's
     * rules for transformers and gated nets (gates and products, softmax, LayerNorm with the std
     * fixed); an unfolded BatchNorm the epsilon rule as a per-channel affine layer; structural ops
     * their gradient; anything else is refused. The new rules use {@code normParams}' stabiliser.
     */
    private static List<RuleSet.Assignment> lrpRest(Map<String, Double> normParams) {
        List<RuleSet.Assignment> o = new ArrayList<>();
        for (String a : Rules.ACTIVATIONS) {
            o.add(op(a, Rules.PASS));
        }
        for (String p : Rules.PRODUCT_OPS) {
            o.add(op(p, Rules.GATE));
        }
        o.add(op("Softmax", Rules.SOFTMAX_TAYLOR));
        o.add(op("LayerNormalization", Rules.LAYERNORM_EPSILON, normParams));
        o.add(op("BatchNormalization", Rules.EPSILON, normParams));
        for (String n : Rules.NORM_OPS) {
            o.add(op(n, Rules.NORM, normParams));
        }
        for (String s : Rules.STRUCTURAL) {
            o.add(op(s, Rules.GRADIENT));
        }
        o.add(op(Rules.ANY_OP, Rules.REFUSE));
        return o;
    }
}
