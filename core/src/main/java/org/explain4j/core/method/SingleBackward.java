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
 * What the one-backward-pass methods share (saliency, input x gradient, guided backprop,
 * deconvolution): one backward pass per example under a rule set, then an elementwise
 * post-processing of the gradient {@code g} with the input {@code x}.
 */
final class SingleBackward {
    /** Turns the gradient element {@code g} at input value {@code x} into the attribution. */
    interface Post {
        double apply(double x, double g);
    }

    private SingleBackward() {
    }

    static Attribution run(String name, DifferentiableModel model, RuleSet rules, int batchSize, ProgressListener progress,
                           Tensor input, FedInputs fed, Target target, Post post, Map<String, Object> options) {
        // 1. Validate and run once.
        MethodRun run = new MethodRun(model, batchSize, progress, input, fed, target);
        run.requireFloatingInput(name);
        double[][] x = InputGradients.rows(input);
        // 2. One backward pass per example.
        double[][] g = InputGradients.weightedSum(run, name, rules, input.batchSize(), r -> r,
                (r, dest) -> System.arraycopy(x[r], 0, dest, 0, dest.length), r -> 1.0);
        // 3. Post-process the gradient.
        for (int n = 0; n < g.length; n++) {
            for (int e = 0; e < g[n].length; e++) {
                g[n][e] = post.apply(x[n][e], g[n][e]);
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>(options);
        opts.put("rules", rules.name());
        opts.put("batch_size", run.batchSize());
        return run.finish(name, run.valuesOfInputShape(g), target, opts, OptionalLong.empty(), Optional.empty(),
                Optional.empty());
    }
}
