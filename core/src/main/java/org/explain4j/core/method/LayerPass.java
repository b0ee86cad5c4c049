package org.explain4j.core.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.RuleSet;

/**
 * What the single-pass layer methods share (layer activation, layer gradient x activation,
 * Grad-CAM): one backward pass per example that captures a named intermediate tensor {@code A}
 * and its gradient {@code dF/dA}, then a combination of the two.
 */
final class LayerPass {
    /** Makes the attribution values from the activations, gradients (one row per example) and the layer's shape. */
    interface Combine {
        Tensor apply(double[][] activation, double[][] gradient, int[] layerShape);
    }

    private LayerPass() {
    }

    static Attribution run(String name, DifferentiableModel model, LayerOptions options, ProgressListener progress,
                           Tensor input, FedInputs fed, Target target, Combine combine, Map<String, Object> extraOptions) {
        // 1. Validate and run once.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        int n = input.batchSize();
        double[][] x = InputGradients.rows(input);
        // 2. One backward pass per example capturing the layer.
        double[][] act = new double[n][];
        double[][] grad = new double[n][];
        int[] shape = LayerProbe.run(run, name, options.layer(), RuleSet.gradient(), n, r -> r,
                (r, dest) -> System.arraycopy(x[r], 0, dest, 0, dest.length), null,
                (r, a, g) -> {
                    act[r] = a.clone();
                    grad[r] = g.clone();
                });
        // 3. Combine.
        Tensor values = combine.apply(act, grad, shape);
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("layer", options.layer());
        opts.putAll(extraOptions);
        opts.put("batch_size", run.batchSize());
        return run.finish(name, values, target, opts, OptionalLong.empty(), Optional.empty(), Optional.empty());
    }
}
