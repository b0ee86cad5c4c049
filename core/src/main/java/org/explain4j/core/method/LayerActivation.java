package org.explain4j.core.method;

import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;

/** The activation {@code A} of a named intermediate tensor (Captum's LayerActivation), in the layer's shape. */
public final class LayerActivation implements AttributionMethod {
    private final DifferentiableModel model;
    private final LayerOptions options;
    private final ProgressListener progress;

    public LayerActivation(DifferentiableModel model, LayerOptions options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public LayerActivation(DifferentiableModel model, LayerOptions options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "layer-activation";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        return LayerPass.run(name(), model, options, progress, input, fed, target, (act, grad, shape) -> {
            return LayerProbe.tensor(act, shape);
        }, Map.of());
    }
}
