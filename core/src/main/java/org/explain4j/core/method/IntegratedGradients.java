package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;

/**
 * Integrated Gradients (Sundararajan, Taly and Yan, 2017, "Axiomatic Attribution for Deep
 * Networks", equation 3): {@code IG_i(x) = (x_i - x'_i) * integral_0^1 dF(x' + a (x - x')) / dx_i da},
 * the integral approximated by a {@link Quadrature} rule with {@code steps} points. All
 * examples' path points are evaluated together in batches of at most {@code batchSize}, so
 * memory does not grow with {@code steps}. The completeness gap
 * {@code sum_i IG_i - (F(x) - F(x'))} is reported.
 */
public final class IntegratedGradients implements AttributionMethod {
    /** Options; see {@link #defaults()}. */
    public record Options(Baseline baseline, int steps, Quadrature integration, int batchSize) {
        public Options {
            if (baseline == null || integration == null) {
                throw new IllegalArgumentException("baseline and integration are required");
            }
            if (baseline instanceof Baseline.Distribution) {
                throw Explain4jException.usage("baseline", "integrated-gradients takes one baseline per example, "
                        + "shape (1, ...) or (N, ...); for a baseline distribution use gradient-shap or deeplift-shap");
            }
            if (steps < 1) {
                throw Explain4jException.usage("steps", "steps must be at least 1 (got " + steps + ")");
            }
            BatchSize.check(batchSize);
        }

        /** Zero baseline, 50 Gauss-Legendre steps (Captum's defaults). */
        public static Options defaults() {
            return new Options(Baseline.zeros(), 50, Quadrature.GAUSS_LEGENDRE, BatchSize.AUTO);
        }

        public Options withBaseline(Baseline b) {
            return new Options(b, steps, integration, batchSize);
        }

        public Options withSteps(int n) {
            return new Options(baseline, n, integration, batchSize);
        }

        public Options withIntegration(Quadrature q) {
            return new Options(baseline, steps, q, batchSize);
        }

        public Options withBatchSize(int n) {
            return new Options(baseline, steps, integration, n);
        }
    }

    private final DifferentiableModel model;
    private final Options options;
    private final ProgressListener progress;

    public IntegratedGradients(DifferentiableModel model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public IntegratedGradients(DifferentiableModel model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "integrated-gradients";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate, resolve the baseline and the quadrature rule (the backward session is made in
        //    the background from here on, where the model can).
        org.explain4j.core.Timeline.mark("IG: start");
        MethodRun.prepareGradients(model, options.batchSize(), input, fed,
                org.explain4j.core.grad.RuleSet.gradient(), input.batchSize() * options.steps());
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        run.requireFloatingInput(name());
        double[][] x = InputGradients.rows(input);
        double[][] b = firstRows(options.baseline().rowsFor(input));
        int steps = options.steps();
        double[] alpha = options.integration().alphas(steps);
        double[] weight = options.integration().weights(steps);
        // 2. The completeness gap's forward passes, F(x) and F(x'), before the gradients: while the
        //    backward session is being made in the background, the forward session and these passes
        //    take the other core instead of following the backward passes (same values either way).
        double[] fx = run.explained();
        double[] fb = explainedAt(run, b);
        org.explain4j.core.Timeline.mark("IG: forward passes done");
        // 3. Sum the weighted gradients at every path point x' + a_k (x - x').
        double[][] g = InputGradients.weightedSum(run, name(), org.explain4j.core.grad.RuleSet.gradient(),
                input.batchSize() * steps, r -> r / steps, (r, dest) -> {
                    double[] xi = x[r / steps];
                    double[] bi = b[r / steps];
                    double a = alpha[r % steps];
                    for (int e = 0; e < dest.length; e++) {
                        dest[e] = bi[e] + a * (xi[e] - bi[e]);
                    }
                }, r -> weight[r % steps]);
        org.explain4j.core.Timeline.mark("IG: gradients summed");
        // 4. Scale by (x - x') and measure completeness against F(x) - F(x').
        for (int n = 0; n < g.length; n++) {
            for (int e = 0; e < g[n].length; e++) {
                g[n][e] *= x[n][e] - b[n][e];
            }
        }
        double[] gap = completenessGap(g, fx, fb);
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("baseline", options.baseline().describe());
        opts.put("steps", steps);
        opts.put("integration", options.integration().label());
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), run.valuesOfInputShape(g), target, opts, OptionalLong.empty(), Optional.of(gap),
                Optional.empty());
    }

    /** The first (only) reference row of each example. */
    static double[][] firstRows(double[][][] rows) {
        double[][] out = new double[rows.length][];
        for (int n = 0; n < rows.length; n++) {
            out[n] = rows[n][0];
        }
        return out;
    }

    /**
     * The explained value of each example at its baseline row {@code b[n]}: one forward pass over the
     * baselines. It serves the completeness gap only, so a non-finite F(baseline) is not refused: the
     * gap records it as non-finite.
     */
    static double[] explainedAt(MethodRun run, double[][] b) {
        double[] fb = new double[b.length];
        org.explain4j.core.engine.EvaluationEngine engine = run.engine();
        try (var unchecked = engine.explainingWithin(org.explain4j.core.model.ModelOutputs.NONE)) {
            engine.evaluate("baseline", b.length, run.input().exampleShape(), r -> r,
                    (r, dest) -> System.arraycopy(b[r], 0, dest, 0, dest.length),
                    (r, out) -> fb[r] = run.explained(r, out));
        }
        return fb;
    }

    /** {@code sum(attr) - (F(x) - F(b))} per example. */
    static double[] completenessGap(double[][] attr, double[] fx, double[] fb) {
        int n = attr.length;
        double[] gap = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (double v : attr[i]) {
                s += v;
            }
            gap[i] = s - (fx[i] - fb[i]);
        }
        return gap;
    }
}
