package org.explain4j.core.grad;

import static org.explain4j.core.grad.RuleSet.Assignment.op;

import java.util.ArrayList;
import java.util.List;

/**
 * The rule sets of the propagation methods other than LRP's composites (see {@link Composites}),
 * as backend-neutral data; the rule names and op groups are those of {@link Rules}.
 */
public final class PropagationRules {
    private PropagationRules() {
    }

    /** The names of the built-in composites, {@link Composites#names()} (for option choices). */
    public static List<String> composites() {
        return Composites.names();
    }

    /** Guided backpropagation (Springenberg et al., 2015): only positive gradients pass ReLUs, where the input was positive. */
    public static RuleSet guidedBackprop() {
        return Composites.GUIDED_BACKPROP.rules();
    }

    /** Deconvolution (Zeiler and Fergus, 2014): ReLUs pass only positive gradients, regardless of the input. */
    public static RuleSet deconvolution() {
        return Composites.DECONVOLUTION.rules();
    }

    /**
     * DeepLIFT's rescale rule (Shrikumar, Greenside and Kundaje, 2017) as Captum implements it:
     * the batch is the inputs followed by their references; elementwise nonlinearities use the
     * multiplier {@code (y - y_ref) / (x - x_ref)} (the gradient where {@code |x - x_ref|} is
     * tiny); MaxPool uses Captum's rule; products of two activations (gates, attention's MatMuls)
     * the product rule, Softmax and LayerNormalization the rules on their decompositions (see
     * {@link Rules#DEEPLIFT_PRODUCT}, {@link Rules#DEEPLIFT_SOFTMAX}, {@link Rules#DEEPLIFT_LAYERNORM});
     * linear and structural ops use the gradient; anything else is refused. BatchNorm is merged into
     * the layer before it where possible (elsewhere its gradient, exact for an affine map).
     */
    public static RuleSet deepLift() {
        List<RuleSet.Assignment> o = new ArrayList<>();
        for (String a : Rules.RESCALE_OPS) {
            o.add(op(a, Rules.RESCALE));
        }
        o.add(op("MaxPool", Rules.DEEPLIFT_MAXPOOL));
        for (String p : List.of("Mul", "Div", "MatMul")) {
            o.add(op(p, Rules.DEEPLIFT_PRODUCT));
        }
        o.add(op("Softmax", Rules.DEEPLIFT_SOFTMAX));
        o.add(op("LayerNormalization", Rules.DEEPLIFT_LAYERNORM));
        for (String g : List.of("Gemm", "Conv", "Add", "Sub", "Neg", "Sum", "BatchNormalization", "AveragePool",
                "GlobalAveragePool", "ReduceMean", "ReduceSum")) {
            o.add(op(g, Rules.GRADIENT));
        }
        for (String s : Rules.STRUCTURAL) {
            if (!s.equals("MaxPool")) {
                o.add(op(s, Rules.GRADIENT));
            }
        }
        o.add(op(Rules.ANY_OP, Rules.REFUSE));
        return new RuleSet("deeplift", o, List.of(Canonizer.MERGE_BATCH_NORM));
    }
}
