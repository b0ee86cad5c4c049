package org.explain4j.serve;

import java.util.Locale;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.method.Quadrature;

/**
 * An estimate, made before a job runs, of the memory its method holds for one instance, from the
 * method and its budget parameters; a job over the per-job limit ({@code --job-memory}) is refused
 * with 413 naming the parameter, instead of running the server out of heap.
 *
 * <p>The methods' estimates are the catalogue's ({@link MethodSpec#budgetMemory()}, formulas in
 * {@code MethodCatalog}: what the engines keep for the whole budget, not per batch); the metrics'
 * are here ({@link #metric}). Both are upper bounds from the data structures, not exact.
 */
final class JobMemory {
    private JobMemory() {
    }

    /** Estimated bytes for {@code rows} examples at once, and the parameter the estimate grows with (or null). */
    record Estimate(long bytes, String parameter) {
    }

    static Estimate estimate(MethodSpec spec, Params p, Tensor input, int rows) {
        long f = input.exampleSize();
        long m = features(p, input, f);
        // the catalogue knows what each method holds for its whole budget (MethodSpec.Memory); the rest hold
        // about an input and its gradient per example
        long per = spec.budgetMemory().map(mem -> mem.estimator().bytes(p, f, m)).orElse(16 * f);
        String param = spec.budgetMemory().map(MethodSpec.Memory::parameter).orElse(null);
        return new Estimate(mul(per, Math.max(1, rows)), param);
    }

    /**
     * Estimated bytes a metric holds for a batch of {@code n} examples of {@code f} elements, and its
     * budget parameter (or null). Every metric holds the batch, the attributions and their
     * preprocessed copy as doubles, and one model batch (64 rows) of perturbed inputs; the metrics
     * whose arrays grow with a budget add what they keep for the whole run:
     * <ul>
     * <li>faithfulness-correlation draws every subset up front: {@code n x nr-runs} int arrays of
     *     {@code subset-size} plus a fill value, and keeps every perturbed output;</li>
     * <li>monotonicity-correlation keeps a fill value and an output per (example, step, drawn sample):
     *     {@code n x ceil(F / features-in-step) x nr-samples} (one sample for a deterministic
     *     baseline, which it evaluates once);</li>
     * <li>the noise-sampling robustness metrics (max-/avg-sensitivity, local Lipschitz, relative
     *     input/output stability) draw per batch but keep one distance per sample: {@code n x nr-samples};</li>
     * <li>infidelity (Captum's reference) keeps a dot product and an output per perturbation:
     *     {@code n x n-perturb-samples}.</li>
     * </ul>
     * Curves over steps (pixel flipping, region perturbation, ...) are bounded by the input's size;
     * re-explanations are estimated with the method ({@link #estimate} with a batch of 64).
     */
    static Estimate metric(org.explain4j.core.metrics.MetricSpec spec, Params p, int n, long f) {
        long base = mul(mul(3L * n, f), 8) + mul(2L * org.explain4j.core.engine.EvaluationEngine.DEFAULT_BATCH_SIZE, mul(f, 8));
        long per;
        String param;
        switch (spec.name()) {
            case "faithfulness-correlation" -> {
                per = mul(p.integer("nr-runs"), 4L * p.integer("subset-size") + 16 + 8 + 8 + 16);
                param = "nr-runs";
            }
            case "monotonicity-correlation" -> {
                long steps = (f + p.integer("features-in-step") - 1) / Math.max(1, p.integer("features-in-step"));
                boolean random = org.explain4j.core.metrics.PerturbBaseline.parse(p.string("perturb-baseline"),
                        "perturb-baseline").random();
                per = mul(mul(steps, random ? p.integer("nr-samples") : 1), 16);
                param = random ? "nr-samples" : null;
            }
            case "max-sensitivity", "avg-sensitivity", "local-lipschitz-estimate", "relative-input-stability",
                    "relative-output-stability" -> {
                per = mul(given(p, "nr-samples"), 8);
                param = "nr-samples";
            }
            case "infidelity" -> {
                per = mul(given(p, "n-perturb-samples"), 16);
                param = "n-perturb-samples";
            }
            default -> {
                per = 0;
                param = null;
            }
        }
        long bytes = mul(per, n);
        return new Estimate(bytes == Long.MAX_VALUE || base + bytes < 0 ? Long.MAX_VALUE : base + bytes, param);
    }

    /** Refuses a metric whose estimate is over {@code limit}: 413 {@code too_large}, naming the budget parameter. */
    static void checkMetric(org.explain4j.core.metrics.MetricSpec spec, Params p, int n, long f, long limit) {
        Estimate e = metric(spec, p, n, f);
        if (e.bytes() <= limit || e.parameter() == null) {
            return;
        }
        Object value = p.values().get(e.parameter());
        throw new ApiException(413, "too_large", e.parameter(), spec.name() + " with " + e.parameter() + " " + value
                + " needs about " + size(e.bytes()) + " for " + n + (n == 1 ? " instance" : " instances") + " of " + f
                + " elements, over the per-job memory limit of " + size(limit) + " (--job-memory); lower "
                + e.parameter());
    }

    /** Refuses a job whose estimate is over {@code limit}: 413 {@code too_large}, naming the budget parameter. */
    static void check(MethodSpec spec, Params p, Tensor input, int rows, long limit) {
        if (p.values().get("steps") instanceof Integer steps && p.values().get("integration") instanceof String rule) {
            Quadrature.parse(rule).checkSteps(steps); // Gauss-Legendre's nodes are quadratic and cannot be stopped
        }
        Estimate e = estimate(spec, p, input, rows);
        if (e.bytes() <= limit || e.parameter() == null) {
            return;
        }
        Object value = p.values().get(e.parameter());
        throw new ApiException(413, "too_large", e.parameter(), spec.name() + " with " + e.parameter() + " " + value
                + " needs about " + size(e.bytes()) + " for an input of " + input.exampleSize() + " elements, over the "
                + "per-job memory limit of " + size(limit) + " (--job-memory); lower " + e.parameter());
    }

    private static long features(Params p, Tensor input, long f) {
        if (p.values().containsKey("feature-mask") && p.values().get("feature-mask") != null) {
            try {
                return p.featureMask().resolve(input)[0].count();
            } catch (RuntimeException e) {
                return f; // the method refuses a bad mask with its own message
            }
        }
        return f;
    }

    /** An integer parameter's bound value, 0 where it does not apply. */
    private static long given(Params p, String name) {
        return p.values().get(name) instanceof Number v ? v.longValue() : 0;
    }

    private static long mul(long a, long b) {
        long r = a * b;
        return (a != 0 && (r / a != b || r < 0)) ? Long.MAX_VALUE : r;
    }

    static String size(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "more than 8 EiB";
        }
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " bytes" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
