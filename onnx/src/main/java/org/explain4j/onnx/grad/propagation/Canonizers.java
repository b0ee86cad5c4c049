package org.explain4j.onnx.grad.propagation;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import org.explain4j.core.grad.Canonizer;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.grad.BackwardGraph;
import org.explain4j.onnx.grad.BackwardGraphBuilder;
import org.explain4j.onnx.grad.BackwardSpec;

/**
 * Graph-to-graph passes that rewrite a model into an equivalent form that the propagation rules
 * handle (Zennit's canonizers), applied before the rules of a rule set that asks for them
 * ({@link RuleSet#canonizers()}: the LRP composites and DeepLIFT merge BatchNorm; guided backprop,
 * deconvolution and beta-smooth, modified gradients, ask for none). The caller's model is never
 * modified: a pass returns a new proto.
 *
 * <ul>
 *   <li>BatchNormalization in inference mode is folded into the Conv or Gemm before it when it is
 *       that layer's only reader (Zennit's {@code SequentialMergeBatchNorm}); see
 *       {@link BatchNormFolding}. One that cannot be folded stays, and the strict rule sets (LRP)
 *       refuse it; DeepLIFT's rule set differentiates it, which is exact for an affine map.</li>
 *   <li>Residual connections need no pass: ONNX already writes them as explicit {@code Add} (or
 *       {@code Sum}) nodes of two activations, which the LRP composites give the {@code norm}
 *       rule (Zennit's {@code Sum} module with {@code Norm}), so no merge is inserted.</li>
 * </ul>
 */
public final class Canonizers {
    private Canonizers() {
    }

    /** {@code model} after the given canonizers, in order: {@code model} itself when none changes anything. */
    public static ModelProto canonize(ModelProto model, List<Canonizer> canonizers) {
        ModelProto m = model;
        for (Canonizer c : canonizers) {
            m = switch (c) {
                case MERGE_BATCH_NORM -> BatchNormFolding.apply(m);
            };
        }
        return m;
    }

    /**
     * Builds the backward graph of an (already canonized) model under a propagation rule set; an
     * op the rule set refuses fails with the rule set's name in front of the message:
     * {@code "<rule set>: <OpType> node '<name>' (opset N) has no rule in this rule set; ..."}.
     * A DeepLIFT rule set first gets {@link CaptumParity}'s adjustment (a MaxPool right after a
     * rescaled activation uses its gradient, as in Captum).
     */
    public static BackwardGraph build(BackwardGraphBuilder builder, ModelProto canonical, BackwardSpec spec) {
        RuleSet rules = CaptumParity.adjust(canonical, spec.rules());
        BackwardSpec s = rules.equals(spec.rules()) ? spec : new BackwardSpec(spec.inputName(), spec.outputName(),
                spec.inputShape(), spec.gradients(), spec.captures(), spec.feeds(), rules);
        try {
            return builder.build(canonical, s);
        } catch (Refusal r) {
            throw r.in(spec.rules().name());
        }
    }
}
