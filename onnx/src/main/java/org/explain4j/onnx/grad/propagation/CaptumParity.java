package org.explain4j.onnx.grad.propagation;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.grad.Rules;
import org.explain4j.onnx.grad.RuleMatcher;
import org.explain4j.core.grad.RuleSet;

/**
 * Adjusts a DeepLIFT rule set so that it computes what Captum (0.6 and later) computes.
 *
 * <p>Captum hooks each supported module through tensor hooks on its input and output. Where an
 * activation's output is directly a MaxPool's input (Conv, ReLU, MaxPool, as in most CNNs), both
 * hooks sit on the same tensor, and the activation's rule reads the gradient recorded before the
 * MaxPool's hook replaced it: the MaxPool's ordinary gradient. Where the activation's input
 * difference is below 1e-10 it reads the replaced one, but there the pooled difference is below
 * 1e-10 too (|f'| <= 1 for the supported activations), so Captum's MaxPool rule returns the
 * ordinary gradient as well. Captum's result is therefore exactly the rescale rule after the
 * MaxPool's ordinary gradient, which this pass selects (by the MaxPool's output tensor) for every
 * MaxPool that the rule set gives {@code deeplift-maxpool} and whose input is produced by a node
 * that it gives {@code rescale} and that Captum hooks (one of {@link Rules#CAPTUM_RESCALE_OPS}; Captum
 * leaves ReLU6, GELU, HardSwish... to autograd). A MaxPool that reads anything else keeps the MaxPool
 * rule.
 *
 * <p>Where the reference's activations entering the MaxPool are constant over each window (as for
 * a zero baseline, whose activations are {@code relu(bias)}) both forms are complete; otherwise
 * Captum's result, and so this one, does not sum exactly to {@code f(x) - f(x_ref)}. An assignment of {@code deeplift-maxpool} with the parameter
 * {@value #PARAM} = 0 opts out and keeps the (complete) MaxPool rule everywhere.
 */
final class CaptumParity {
    /** The parameter of a {@code deeplift-maxpool} assignment that turns this adjustment off when 0. */
    static final String PARAM = "captum_parity";

    private CaptumParity() {
    }

    static RuleSet adjust(ModelProto model, RuleSet rules) {
        if (rules.assignments().stream().noneMatch(o -> o.rule().equals(Rules.DEEPLIFT_MAXPOOL))) {
            return rules;
        }
        List<NodeProto> nodes = model.getGraph().getNodeList();
        Map<String, NodeProto> producer = new HashMap<>();
        nodes.forEach(n -> n.getOutputList().forEach(o -> producer.put(o, n)));
        RuleMatcher matcher = new RuleMatcher(rules, nodes);
        List<RuleSet.Assignment> extra = new ArrayList<>();
        for (NodeProto n : nodes) {
            Optional<RuleSet.Assignment> o = matcher.match(n);
            if (n.getOutputCount() == 0 || n.getInputCount() == 0 || o.isEmpty()
                    || !o.get().rule().equals(Rules.DEEPLIFT_MAXPOOL) || o.get().params().getOrDefault(PARAM, 1.0) == 0) {
                continue;
            }
            NodeProto p = producer.get(n.getInput(0));
            if (p != null && Rules.CAPTUM_RESCALE_OPS.contains(p.getOpType())
                    && matcher.match(p).map(RuleSet.Assignment::rule).equals(Optional.of(Rules.RESCALE))) {
                extra.add(new RuleSet.Assignment(new RuleSet.Selector.TensorName(n.getOutput(0)), Rules.GRADIENT,
                        Map.of()));
            }
        }
        if (extra.isEmpty()) {
            return rules;
        }
        extra.addAll(rules.assignments());
        return new RuleSet(rules.name(), extra, rules.canonizers());
    }
}
