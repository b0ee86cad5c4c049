package org.explain4j.core.method;

import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.PropagationRules;

/**
 * Guided backpropagation (Springenberg et al., 2015, "Striving for Simplicity: The All
 * Convolutional Net", section 3.4): the gradient in which each ReLU passes only positive
 * gradients, and only where its input was positive.
 */
public final class GuidedBackprop implements AttributionMethod {
    /** Options: the most examples per backward call. */
    public record Options(int batchSize) {
        public Options {
            BatchSize.check(batchSize);
        }

        public static Options defaults() {
            return new Options(BatchSize.AUTO);
        }

        public Options withBatchSize(int n) {
            return new Options(n);
        }
    }

    private final DifferentiableModel model;
    private final Options options;
    private final ProgressListener progress;

    public GuidedBackprop(DifferentiableModel model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public GuidedBackprop(DifferentiableModel model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "guided-backprop";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        return SingleBackward.run(name(), model, PropagationRules.guidedBackprop(), options.batchSize(), progress, input, fed, target, (x, g) -> g, Map.of());
    }
}
