package org.explain4j.core.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.GradientEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.RuleSet;

/**
 * Layer Integrated Gradients (Captum's LayerIntegratedGradients): integrated gradients at a
 * named intermediate tensor {@code A}, from the layer baseline {@code A(x')} (the layer's value
 * on the input-space baseline, e.g. pad-token ids) to {@code A(x)}:
 * {@code (A(x) - A(x')) * integral_0^1 dF/dA at A(x') + a (A(x) - A(x')) da}. The interpolated
 * activations are fed to the layer's consumers while every other path still computes from the
 * input {@code x}. The result has the layer's shape; the completeness gap is
 * {@code sum - (F(x) - F(x'))} (exact when all paths from the input pass through the layer).
 */
public final class LayerIntegratedGradients implements AttributionMethod {
    private final DifferentiableModel model;
    private final LayerOptions options;
    private final ProgressListener progress;

    public LayerIntegratedGradients(DifferentiableModel model, LayerOptions options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public LayerIntegratedGradients(DifferentiableModel model, LayerOptions options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "layer-integrated-gradients";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate; the layer's value and the explained output on the input and on the
        //    baseline, from one forward pass over both (no backward pass, no separate forward).
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        String layer = options.layer();
        int n = input.batchSize();
        double[][] x = InputGradients.rows(input);
        double[][] b = IntegratedGradients.firstRows(options.baseline().rowsFor(input));
        double[][] ax = new double[n][];
        double[][] ab = new double[n][];
        double[] fx = new double[n];
        double[] fb = new double[n];
        int[] shape = LayerProbe.values(run, name(), layer, 2 * n, r -> r % n,
                (r, dest) -> System.arraycopy(r < n ? x[r] : b[r - n], 0, dest, 0, dest.length),
                (r, out, a) -> {
                    if (r < n) {
                        ax[r] = a.clone();
                        fx[r] = run.explained(r, out);
                    } else {
                        ab[r - n] = a.clone();
                        fb[r - n] = run.explained(r - n, out);
                    }
                });
        // 2. Feed A(x') + a_k (A(x) - A(x')) with the input x; sum the weighted layer gradients.
        int steps = options.steps();
        double[] alpha = options.integration().alphas(steps);
        double[] weight = options.integration().weights(steps);
        double[][] sum = new double[n][ax[0].length];
        GradientEngine.Feed feed = new GradientEngine.Feed(shape, (r, dest) -> {
            double[] hi = ax[r / steps];
            double[] lo = ab[r / steps];
            double a = alpha[r % steps];
            for (int e = 0; e < dest.length; e++) {
                dest[e] = lo[e] + a * (hi[e] - lo[e]);
            }
        });
        LayerProbe.run(run, name(), layer, RuleSet.gradient(), n * steps, r -> r / steps,
                (r, dest) -> System.arraycopy(x[r / steps], 0, dest, 0, dest.length), feed,
                (r, a, g) -> {
                    double[] s = sum[r / steps];
                    double w = weight[r % steps];
                    for (int e = 0; e < s.length; e++) {
                        s[e] += w * g[e];
                    }
                });
        // 3. Scale by A(x) - A(x'); completeness against F(x) - F(x').
        for (int i = 0; i < n; i++) {
            for (int e = 0; e < sum[i].length; e++) {
                sum[i][e] *= ax[i][e] - ab[i][e];
            }
        }
        double[] gap = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (double v : sum[i]) {
                s += v;
            }
            gap[i] = s - (fx[i] - fb[i]);
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("layer", layer);
        opts.put("baseline", options.baseline().describe());
        opts.put("steps", steps);
        opts.put("integration", options.integration().label());
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), LayerProbe.tensor(sum, shape), target, opts, OptionalLong.empty(), Optional.of(gap),
                Optional.empty());
    }
}
