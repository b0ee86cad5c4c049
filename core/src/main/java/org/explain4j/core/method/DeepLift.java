package org.explain4j.core.method;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.PropagationRules;

/**
 * DeepLIFT with the rescale rule (Shrikumar, Greenside and Kundaje, 2017, "Learning Important
 * Features Through Propagating Activation Differences", section 3.3), as Captum's DeepLift: each
 * input is evaluated together with its reference in one batch (inputs first, references after),
 * nonlinearities use the multiplier {@code (y - y_ref) / (x - x_ref)}, and the attribution is
 * {@code (x - x_ref) * m}. The completeness gap {@code sum - (f(x) - f(x_ref))} is reported.
 *
 * <p>With a baseline distribution of {@code K} rows this is DeepLIFT-SHAP (Lundberg and Lee,
 * 2017): the mean of the DeepLIFT attributions against each row; its gap is measured against the
 * mean reference output.
 */
public final class DeepLift implements AttributionMethod {
    /** Options; see {@link #defaults()}. */
    public record Options(Baseline baseline, int batchSize, Optional<String> layer) {
        public Options {
            if (baseline == null || layer == null) {
                throw new IllegalArgumentException("baseline and layer are required (layer: Optional.empty())");
            }
            BatchSize.check(batchSize, 2, " for DeepLIFT, which evaluates each input with its reference in one batch");
        }

        /** Zero reference. */
        public static Options defaults() {
            return new Options(Baseline.zeros(), BatchSize.AUTO);
        }

        /** Options of the input-space method (no layer). */
        public Options(Baseline baseline, int batchSize) {
            this(baseline, batchSize, Optional.empty());
        }

        public Options withBaseline(Baseline b) {
            return new Options(b, batchSize, layer);
        }

        public Options withBatchSize(int n) {
            return new Options(baseline, n, layer);
        }

        /**
         * DeepLIFT at an intermediate tensor (Captum's LayerDeepLift): {@code (A(x) - A(ref)) * m}
         * at the tensor {@code A}, the input and its reference (e.g. pad-token ids) in input space.
         */
        public Options withLayer(String tensor) {
            return new Options(baseline, batchSize, Optional.of(tensor));
        }
    }

    private final DifferentiableModel model;
    private final Options options;
    private final ProgressListener progress;
    private final String name;

    public DeepLift(DifferentiableModel model, Options options, ProgressListener progress) {
        this("deeplift", model, options, progress);
        if (options.baseline() instanceof Baseline.Distribution) {
            throw Explain4jException.usage("baseline", "deeplift takes one reference per example, shape (1, ...) or (N, ...); "
                    + "for a distribution of reference rows use deeplift-shap");
        }
    }

    /** DeepLIFT reported as {@code name}; {@link DeepLiftShap} uses it with a distribution of references. */
    DeepLift(String name, DifferentiableModel model, Options options, ProgressListener progress) {
        this.name = name;
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public DeepLift(DifferentiableModel model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate and run once; resolve the reference rows.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        String layer = options.layer().orElse(null);
        if (layer == null) {
            run.requireFloatingInput(name());
        }
        double[][] x = InputGradients.rows(input);
        double[][][] refs = options.baseline().rowsFor(input);
        int n = input.batchSize();
        int d = input.exampleSize();
        int[] layerShape = null;
        int k = refs[0].length;
        int c = run.outputs();
        double[][] seeds = run.seeds();
        double[][] attr = new double[n][d];
        double[] gap = new double[n];
        // 2. Pairs (input, reference) in batches: inputs first, references after; seed only the inputs.
        int per = run.gradients(name(), 2).batchSize() / 2;
        int pairs = n * k;
        for (int from = 0; from < pairs; from += per) {
            int m = Math.min(per, pairs - from);
            double[] batch = new double[2 * m * d];
            float[] seed = new float[2 * m * c];
            for (int i = 0; i < m; i++) {
                int ex = (from + i) / k;
                System.arraycopy(x[ex], 0, batch, i * d, d);
                System.arraycopy(refs[ex][(from + i) % k], 0, batch, (m + i) * d, d);
                for (int j = 0; j < c; j++) {
                    seed[i * c + j] = (float) seeds[ex][j];
                }
            }
            int[] shape = input.shape();
            shape[0] = 2 * m;
            Tensor in = batchTensor(input.dtype(), batch, shape);
            int first = from;
            BackwardRequest request = layer == null
                    ? BackwardRequest.gradientOfInput().withRules(PropagationRules.deepLift())
                    : new BackwardRequest(PropagationRules.deepLift(), List.of(layer), Map.of(), false);
            BackwardResult r = run.gradients(name()).backward(in, Tensor.ofFloats(seed, 2 * m, c), request,
                    row -> (first + row % m) / k);
            // the differences and multipliers: at the input, or at the layer (its activations of both rows)
            Tensor g = layer == null ? r.inputGradient().orElseThrow() : r.gradients().get(layer);
            Tensor act = layer == null ? null : r.activations().get(layer);
            int size = layer == null ? d : act.exampleSize();
            if (layer != null && layerShape == null) {
                layerShape = act.exampleShape();
                for (int e = 0; e < n; e++) {
                    attr[e] = new double[size];
                }
            }
            double[] out = r.output().toDoubleArray();
            // 3. (x - x_ref) * multiplier, averaged over the reference rows; gap per pair.
            for (int i = 0; i < m; i++) {
                int ex = (from + i) / k;
                double[] ref = refs[ex][(from + i) % k];
                double sum = 0;
                for (int e = 0; e < size; e++) {
                    double diff = layer == null ? x[ex][e] - ref[e]
                            : act.getDouble(i * size + e) - act.getDouble((m + i) * size + e);
                    double a = diff * g.getDouble(i * size + e);
                    attr[ex][e] += a / k;
                    sum += a;
                }
                double fx = run.explained(ex, out, i * c);
                double fr = run.explained(ex, out, (m + i) * c);
                gap[ex] += (sum - (fx - fr)) / k;
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("baseline", options.baseline().describe());
        options.layer().ifPresent(l -> opts.put("layer", l));
        opts.put("batch_size", run.batchSize());
        Tensor values = layerShape == null ? run.valuesOfInputShape(attr) : LayerProbe.tensor(attr, layerShape);
        return run.finish(name(), values, target, opts, OptionalLong.empty(), Optional.of(gap), Optional.empty());
    }

    /** Rows of doubles as a batch of the input's type (integer inputs, e.g. token ids, rounded). */
    private static Tensor batchTensor(org.explain4j.core.DType type, double[] batch, int[] shape) {
        return switch (type) {
            case FLOAT64 -> Tensor.ofDoubles(batch, shape);
            case FLOAT32 -> Tensor.ofDoublesAsFloats(batch, shape);
            case INT64, INT32 -> {
                long[] v = new long[batch.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Math.round(batch[i]);
                }
                yield Tensor.ofLongs(v, shape).to(type);
            }
        };
    }
}
