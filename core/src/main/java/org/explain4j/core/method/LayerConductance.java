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
 * Layer conductance (Dhamdhere, Sundararajan and Yan, 2018, "How Important Is a Neuron?",
 * equation 2, as Captum computes it): along the input path {@code x' + a (x - x')} at the
 * {@code steps + 1} points of the quadrature rule, the conductance of a layer unit is
 * {@code sum_k (A(a_{k+1}) - A(a_k)) * dF/dA(a_k)}. The result has the layer's shape.
 */
public final class LayerConductance implements AttributionMethod {
    private final DifferentiableModel model;
    private final LayerOptions options;
    private final ProgressListener progress;

    public LayerConductance(DifferentiableModel model, LayerOptions options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public LayerConductance(DifferentiableModel model, LayerOptions options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "layer-conductance";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate, run once, learn the layer's shape.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        run.requireFloatingInput(name());
        String layer = options.layer();
        int n = input.batchSize();
        double[][] x = InputGradients.rows(input);
        double[][] b = IntegratedGradients.firstRows(options.baseline().rowsFor(input));
        int points = options.steps() + 1;
        double[] alpha = options.integration().alphas(points);
        double[][] sum = new double[n][];
        double[][] prevAct = new double[n][];
        double[][] prevGrad = new double[n][];
        // 2. Walk each example's path in order, pairing consecutive activations with the earlier gradient.
        int[] shape = LayerProbe.run(run, name(), layer, RuleSet.gradient(), n * points, r -> r / points, (r, dest) -> {
            double[] xi = x[r / points];
            double[] bi = b[r / points];
            double a = alpha[r % points];
            for (int e = 0; e < dest.length; e++) {
                dest[e] = bi[e] + a * (xi[e] - bi[e]);
            }
        }, null, (r, act, grad) -> {
            int i = r / points;
            if (sum[i] == null) {
                sum[i] = new double[act.length];
            }
            if (r % points > 0) {
                for (int e = 0; e < act.length; e++) {
                    sum[i][e] += (act[e] - prevAct[i][e]) * prevGrad[i][e];
                }
            }
            prevAct[i] = act.clone();
            prevGrad[i] = grad.clone();
        });
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("layer", layer);
        opts.put("baseline", options.baseline().describe());
        opts.put("steps", options.steps());
        opts.put("integration", options.integration().label());
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), LayerProbe.tensor(sum, shape), target, opts, OptionalLong.empty(), Optional.empty(),
                Optional.empty());
    }
}
