package org.explain4j.core.grad;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.explain4j.core.Explain4jException;

/**
 * The rule sets of the propagation methods, as backend-neutral data. A backend registers an
 * implementation under each rule name below; an op that a strict rule set does not name reaches
 * the final {@link #REFUSE} override, and the backend fails when the graph is built.
 *
 * <p>Rule names: {@code gradient} (the op's ordinary gradient), {@code pass} (the incoming
 * gradient or relevance passes unchanged to the data input), {@code guided-relu},
 * {@code deconv-relu}, {@code rescale} and {@code deeplift-maxpool} (DeepLIFT; the batch holds
 * the inputs followed by their references), and the LRP rules {@code epsilon}, {@code zero},
 * {@code gamma}, {@code zplus}, {@code alpha-beta}, {@code flat}, {@code w-square}, {@code zbox},
 * {@code norm}.
 */
public final class PropagationRules {
    /** The stabiliser of Zennit's non-epsilon rules (z+, gamma, alpha-beta, flat, z^B). */
    public static final double ZENNIT_STABILIZER = 1e-6;
    /** The rule name a strict rule set gives every op it does not model. */
    public static final String REFUSE = "refuse";
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
    /** Linear layers: dense and convolutional. */
    public static final List<String> LINEAR = List.of("Gemm", "MatMul", "Conv");

    private PropagationRules() {
    }

    /** Guided backpropagation (Springenberg et al., 2015): only positive gradients pass ReLUs, where the input was positive. */
    public static RuleSet guidedBackprop() {
        return new RuleSet("guided-backprop", List.of(op("Relu", "guided-relu")));
    }

    /** Deconvolution (Zeiler and Fergus, 2014): ReLUs pass only positive gradients, regardless of the input. */
    public static RuleSet deconvolution() {
        return new RuleSet("deconvolution", List.of(op("Relu", "deconv-relu")));
    }

    /**
     * DeepLIFT's rescale rule (Shrikumar, Greenside and Kundaje, 2017) as Captum implements it:
     * the batch is the inputs followed by their references; elementwise nonlinearities use the
     * multiplier {@code (y - y_ref) / (x - x_ref)} (the gradient where {@code |x - x_ref|} is
     * tiny); MaxPool uses Captum's rule; linear and structural ops use the gradient; anything
     * else is refused.
     */
    public static RuleSet deepLift() {
        List<RuleSet.Override> o = new ArrayList<>();
        for (String a : List.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Softplus")) {
            o.add(op(a, "rescale"));
        }
        o.add(op("MaxPool", "deeplift-maxpool"));
        for (String g : List.of("Gemm", "MatMul", "Conv", "Add", "Sub", "Neg", "BatchNormalization", "AveragePool",
                "GlobalAveragePool", "ReduceMean", "ReduceSum")) {
            o.add(op(g, "gradient"));
        }
        for (String s : STRUCTURAL) {
            if (!s.equals("MaxPool")) {
                o.add(op(s, "gradient"));
            }
        }
        o.add(op(ANY_OP, REFUSE));
        return new RuleSet("deeplift", o);
    }

    /**
     * The default epsilon of a composite: 1e-9 for {@code epsilon} (Captum's LRP default), 1e-6 for
     * Zennit's composites (their default).
     */
    public static double defaultEpsilon(String composite) {
        return composite.trim().equalsIgnoreCase("epsilon") ? 1e-9 : ZENNIT_STABILIZER;
    }

    /** The LRP composites by command-line name. */
    public static List<String> composites() {
        return List.of("epsilon", "epsilon-plus", "epsilon-plus-flat", "epsilon-gamma-box", "epsilon-alpha2-beta1");
    }

    /**
     * An LRP composite (Bach et al., 2015; Montavon et al., 2019; Zennit's composites):
     * <ul>
     *   <li>{@code epsilon}: epsilon rule on every dense and conv layer (Captum's default);</li>
     *   <li>{@code epsilon-plus}: z+ on conv, epsilon on dense;</li>
     *   <li>{@code epsilon-plus-flat}: as epsilon-plus with the flat rule on the first linear layer;</li>
     *   <li>{@code epsilon-gamma-box}: gamma (0.25) on conv, epsilon on dense, z^B with bounds
     *       {@code low}, {@code high} on the first linear layer;</li>
     *   <li>{@code epsilon-alpha2-beta1}: alpha=2, beta=1 on conv, epsilon on dense.</li>
     * </ul>
     * In every composite, activations pass relevance through, max pooling and structural ops use
     * the gradient, sums and average pooling use the norm rule (relevance split in proportion to
     * each input's contribution), and any other op is refused.
     */
    public static RuleSet lrp(String composite, double epsilon, double low, double high) {
        String c = composite.trim().toLowerCase(Locale.ROOT);
        if (!composites().contains(c)) {
            throw Explain4jException.usage("--composite", "--composite '" + composite + "' is not one of "
                    + String.join(", ", composites()));
        }
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw Explain4jException.usage("--epsilon", "--epsilon must be zero or positive (got " + epsilon + ")");
        }
        if (c.equals("epsilon-gamma-box") && !(low < high)) {
            throw Explain4jException.usage("--low", "--low must be below --high (got " + low + " and " + high + ")");
        }
        Map<String, Double> eps = Map.of("epsilon", epsilon);
        // Zennit's other rules keep their own stabiliser (1e-6), separate from the epsilon rule's epsilon.
        Map<String, Double> stab = Map.of("stabilizer", ZENNIT_STABILIZER);
        List<RuleSet.Override> o = new ArrayList<>();
        // 1. The first linear layer.
        if (c.equals("epsilon-plus-flat")) {
            o.add(new RuleSet.Override(new RuleSet.Selector.FirstLayer(LINEAR), "flat", stab));
        } else if (c.equals("epsilon-gamma-box")) {
            o.add(new RuleSet.Override(new RuleSet.Selector.FirstLayer(LINEAR), "zbox",
                    Map.of("low", low, "high", high, "stabilizer", ZENNIT_STABILIZER)));
        }
        // 2. Convolutions and dense layers.
        String convRule = switch (c) {
            case "epsilon-plus", "epsilon-plus-flat" -> "zplus";
            case "epsilon-gamma-box" -> "gamma";
            case "epsilon-alpha2-beta1" -> "alpha-beta";
            default -> "epsilon";
        };
        Map<String, Double> convParams = switch (convRule) {
            case "gamma" -> Map.of("gamma", 0.25, "stabilizer", ZENNIT_STABILIZER);
            case "alpha-beta" -> Map.of("alpha", 2.0, "beta", 1.0, "stabilizer", ZENNIT_STABILIZER);
            case "zplus" -> stab;
            default -> eps;
        };
        for (String conv : CONV) {
            o.add(new RuleSet.Override(new RuleSet.Selector.OpType(conv), convRule, convParams));
        }
        for (String dense : DENSE) {
            o.add(new RuleSet.Override(new RuleSet.Selector.OpType(dense), "epsilon", eps));
        }
        // 3. Activations, pooling, sums, structure; everything else is refused.
        for (String a : ACTIVATIONS) {
            o.add(op(a, "pass"));
        }
        for (String n : List.of("Add", "Sum", "AveragePool", "GlobalAveragePool")) {
            o.add(new RuleSet.Override(new RuleSet.Selector.OpType(n), "norm", c.equals("epsilon") ? eps : stab));
        }
        for (String s : STRUCTURAL) {
            o.add(op(s, "gradient"));
        }
        o.add(op(ANY_OP, REFUSE));
        return new RuleSet("lrp-" + c, o);
    }

    private static RuleSet.Override op(String opType, String rule) {
        return new RuleSet.Override(new RuleSet.Selector.OpType(opType), rule, Map.of());
    }
}
