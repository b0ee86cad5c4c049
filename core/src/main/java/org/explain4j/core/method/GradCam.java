package org.explain4j.core.method;

import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;

/**
 * Grad-CAM (Selvaraju et al., 2017, "Grad-CAM", equations 1-2) as Captum's LayerGradCam: the
 * channel-weighted sum {@code sum_k w_k A_k} of a layer's activation, {@code w_k} being the
 * spatial mean of {@code dF/dA_k}; shape {@code (N, 1, h, w)}; ReLU'd when {@code relu} is set.
 */
public final class GradCam implements AttributionMethod {
    private final DifferentiableModel model;
    private final LayerOptions options;
    private final ProgressListener progress;

    public GradCam(DifferentiableModel model, LayerOptions options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public GradCam(DifferentiableModel model, LayerOptions options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "grad-cam";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        boolean relu = options.relu();
        return LayerPass.run(name(), model, options, progress, input, fed, target,
                (act, grad, shape) -> map(act, grad, shape, relu), Map.of("relu", relu));
    }

    /** Grad-CAM maps {@code (N, 1, spatial...)} from activations and gradients of shape {@code (K, spatial...)}. */
    static Tensor map(double[][] act, double[][] grad, int[] shape, boolean relu) {
        int n = act.length;
        int channels = shape.length == 0 ? 1 : shape[0];
        int spatial = (int) (Tensor.sizeOf(shape) / Math.max(channels, 1));
        double[][] map = new double[n][spatial];
        for (int i = 0; i < n; i++) {
            // 1. Channel weights: the spatial mean of the gradient.
            for (int k = 0; k < channels; k++) {
                double w = 0;
                for (int p = 0; p < spatial; p++) {
                    w += grad[i][k * spatial + p];
                }
                w /= spatial;
                // 2. The weighted sum of the channels.
                for (int p = 0; p < spatial; p++) {
                    map[i][p] += w * act[i][k * spatial + p];
                }
            }
            // 3. ReLU when asked.
            if (relu) {
                for (int p = 0; p < spatial; p++) {
                    map[i][p] = Math.max(0, map[i][p]);
                }
            }
        }
        int[] out = new int[Math.max(1, shape.length)];
        out[0] = 1;
        if (shape.length > 1) {
            System.arraycopy(shape, 1, out, 1, shape.length - 1);
        }
        return LayerProbe.tensor(map, out);
    }
}
