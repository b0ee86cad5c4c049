package org.explain4j.core.method;

import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;

/**
 * DeepLIFT-SHAP (Lundberg and Lee, 2017, "A Unified Approach to Interpreting Model Predictions",
 * section 4.2; Captum's DeepLiftShap): {@link DeepLift} against each of {@code K} reference rows,
 * averaged. Its completeness gap is measured against the mean reference output.
 */
public final class DeepLiftShap implements AttributionMethod {
    private final DeepLift deepLift;

    /** {@code options.baseline()} must be a distribution of reference rows ({@link Baseline#distribution}). */
    public DeepLiftShap(DifferentiableModel model, DeepLift.Options options, ProgressListener progress) {
        if (!(options.baseline() instanceof Baseline.Distribution)) {
            throw Explain4jException.usage("baseline", "deeplift-shap needs a baseline distribution of K reference rows "
                    + "(e.g. a file of K rows); for one reference per example use deeplift");
        }
        this.deepLift = new DeepLift(name(), model, options, progress);
    }

    public DeepLiftShap(DifferentiableModel model, DeepLift.Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "deeplift-shap";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        return deepLift.attribute(input, fed, target);
    }
}
