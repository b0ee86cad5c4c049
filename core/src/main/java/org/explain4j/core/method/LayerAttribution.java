package org.explain4j.core.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.RuleSet;

/**
 * Single-pass layer methods on a named intermediate tensor {@code A}:
 * <ul>
 *   <li>{@code layer-activation}: {@code A} itself;</li>
 *   <li>{@code layer-gradient-x-activation}: {@code A * dF/dA};</li>
 *   <li>{@code grad-cam} (Selvaraju et al., 2017, "Grad-CAM", equations 1-2): the channel-weighted
 *       sum {@code sum_k w_k A_k} with {@code w_k} the spatial mean of {@code dF/dA_k}, shape
 *       {@code (N, 1, h, w)}, then ReLU when asked (Captum's LayerGradCam).</li>
 * </ul>
 */
public final class LayerAttribution implements AttributionMethod {
    /** Which single-pass layer method. */
    public enum Kind {
        ACTIVATION("layer-activation"), GRADIENT_X_ACTIVATION("layer-gradient-x-activation"), GRAD_CAM("grad-cam");

        private final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    private final DifferentiableModel model;
    private final Kind kind;
    private final LayerOptions options;
    private final ProgressListener progress;

    public LayerAttribution(DifferentiableModel model, Kind kind, LayerOptions options, ProgressListener progress) {
        this.model = model;
        this.kind = kind;
        this.options = options;
        this.progress = progress;
    }

    public LayerAttribution(DifferentiableModel model, Kind kind, LayerOptions options) {
        this(model, kind, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return kind.label;
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        // 1. Validate, run once, learn the layer's shape.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, target);
        int n = input.batchSize();
        double[][] x = InputGradients.rows(input);
        // 2. One backward pass per example capturing the layer.
        double[][] act = new double[n][];
        double[][] grad = new double[n][];
        int[] shape = LayerProbe.run(run, name(), options.layer(), RuleSet.gradient(), n, r -> r,
                (r, dest) -> System.arraycopy(x[r], 0, dest, 0, dest.length), null,
                (r, a, g) -> {
                    act[r] = a.clone();
                    grad[r] = g.clone();
                });
        // 3. Combine.
        Tensor values;
        if (kind == Kind.GRAD_CAM) {
            values = gradCam(act, grad, shape, options.relu());
        } else {
            double[][] out = new double[n][];
            for (int i = 0; i < n; i++) {
                out[i] = act[i].clone();
                if (kind == Kind.GRADIENT_X_ACTIVATION) {
                    for (int e = 0; e < out[i].length; e++) {
                        out[i][e] *= grad[i][e];
                    }
                }
            }
            values = LayerProbe.tensor(out, shape);
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("layer", options.layer());
        if (kind == Kind.GRAD_CAM) {
            opts.put("relu", options.relu());
        }
        opts.put("batch_size", options.batchSize());
        return run.finish(name(), values, target, opts, OptionalLong.empty(), Optional.empty(), Optional.empty());
    }

    /** Grad-CAM maps {@code (N, 1, spatial...)} from activations and gradients of shape {@code (K, spatial...)}. */
    static Tensor gradCam(double[][] act, double[][] grad, int[] shape, boolean relu) {
        int n = act.length;
        int channels = shape.length == 0 ? 1 : shape[0];
        int spatial = (int) (Tensor.sizeOf(shape) / Math.max(channels, 1));
        double[][] map = new double[n][spatial];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < channels; k++) {
                double w = 0;
                for (int p = 0; p < spatial; p++) {
                    w += grad[i][k * spatial + p];
                }
                w /= spatial;
                for (int p = 0; p < spatial; p++) {
                    map[i][p] += w * act[i][k * spatial + p];
                }
            }
            if (relu) {
                for (int p = 0; p < spatial; p++) {
                    map[i][p] = Math.max(0, map[i][p]);
                }
            }
        }
        int[] out = new int[Math.max(1, shape.length)];
        out[0] = 1;
        for (int j = 1; j < shape.length; j++) {
            out[j] = shape[j];
        }
        return LayerProbe.tensor(map, out);
    }
}
