package org.explain4j.core.method;

import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;

/**
 * Layer gradient x activation (Captum's LayerGradientXActivation): {@code A * dF/dA} at a named
 * intermediate tensor, in the layer's shape.
 */
public final class LayerGradientXActivation implements AttributionMethod {
    private final DifferentiableModel model;
    private final LayerOptions options;
    private final ProgressListener progress;

    public LayerGradientXActivation(DifferentiableModel model, LayerOptions options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public LayerGradientXActivation(DifferentiableModel model, LayerOptions options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "layer-gradient-x-activation";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        return LayerPass.run(name(), model, options, progress, input, fed, target, (act, grad, shape) -> {
            double[][] out = new double[act.length][];
            for (int i = 0; i < act.length; i++) {
                out[i] = act[i].clone();
                for (int e = 0; e < out[i].length; e++) {
                    out[i][e] *= grad[i][e];
                }
            }
            return LayerProbe.tensor(out, shape);
        }, Map.of());
    }
}
