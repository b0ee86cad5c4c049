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
import org.explain4j.core.grad.RuleSet;

/**
 * Saliency (Simonyan, Vedaldi and Zisserman, 2014, "Deep Inside Convolutional Networks",
 * equation 3): the gradient {@code g = d target / d x}, as its absolute value {@code |g|}
 * (Captum's default) or signed with {@code abs = false}.
 */
public final class Saliency implements AttributionMethod {
    /** Options; see {@link #defaults()}. */
    public record Options(boolean abs, int batchSize) {
        public Options {
            BatchSize.check(batchSize);
        }

        /** Absolute gradient, as Captum's default. */
        public static Options defaults() {
            return new Options(true, BatchSize.AUTO);
        }

        public Options withAbs(boolean a) {
            return new Options(a, batchSize);
        }

        public Options withBatchSize(int n) {
            return new Options(abs, n);
        }
    }

    private final DifferentiableModel model;
    private final Options options;
    private final ProgressListener progress;

    public Saliency(DifferentiableModel model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public Saliency(DifferentiableModel model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "saliency";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        boolean abs = options.abs();
        return SingleBackward.run(name(), model, RuleSet.gradient(), options.batchSize(), progress, input, fed, target,
                (x, g) -> abs ? Math.abs(g) : g, Map.of("abs", abs));
    }
}
