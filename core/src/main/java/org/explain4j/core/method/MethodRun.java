package org.explain4j.core.method;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Diagnostics;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Provenance;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.RowMemory;
import org.explain4j.core.engine.GradientEngine;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelOutputs;

/**
 * The bookkeeping every method run shares: input validation, the evaluation engine, the first
 * forward pass and the explained value of each example, timing, and assembling the result.
 *
 * <p>When the model declares its number of outputs, the first forward pass runs only when a
 * method asks for the outputs ({@link #output()}, {@link #explained()}): a method made of
 * backward passes alone (saliency) then costs no separate forward pass, and an auto-sized
 * forward engine is sized only when a method calls it.
 */
public final class MethodRun {
    private final long started = System.nanoTime();
    private final Model model;
    private EvaluationEngine engine;
    private final Tensor input;
    private Tensor output;
    private final int outputs;
    private final double[][] seeds;
    private GradientEngine gradients;
    private final FedInputs.Bound fed;
    private final int requestedBatch;
    private final ProgressListener progress;

    /**
     * Tells a differentiable {@code model} that this run's first backward pass (the gradient of
     * the input under {@code rules}, over {@code rows} rows of the input's example shape) will
     * come, so that it can make its graph and session in the background while the run validates
     * the input and runs the target's forward pass; called before the run is made. Only with an
     * explicit batch size (an automatic one is sized by a probe that needs the backward graph) and
     * no fed model inputs (their shapes are part of the graph's key); otherwise nothing. Results
     * are the same with and without it.
     */
    public static void prepareGradients(Model model, int batchSize, Tensor input, FedInputs fed,
                                        org.explain4j.core.grad.RuleSet rules, int rows) {
        if (!(model instanceof DifferentiableModel dm) || batchSize < 1 || !fed.isEmpty() || rows < 1
                || !input.dtype().isFloating()) {
            return;
        }
        try {
            model.signature().validate(input, "input");
        } catch (RuntimeException e) {
            return; // reported by the run itself
        }
        int[] example = input.exampleShape();
        int[] shape = new int[example.length + 1];
        shape[0] = Math.min(batchSize, rows);
        System.arraycopy(example, 0, shape, 1, example.length);
        dm.prepare(org.explain4j.core.grad.BackwardRequest.gradientOfInput().withRules(rules), shape);
    }

    /**
     * Validates {@code input} and resolves the target against the model's outputs (running the
     * model once where it does not declare how many it has).
     */
    public MethodRun(Model model, int batchSize, ProgressListener progress, Tensor input, Target target) {
        this(model, batchSize, progress, input, FedInputs.none(), target);
    }

    /**
     * Validates {@code input} and the model's other inputs {@code fed} and resolves the target
     * against the model's outputs (running the model once where it does not declare how many it
     * has). Every later model call feeds {@code fed}, each row with its example's slice.
     */
    public MethodRun(Model model, int batchSize, ProgressListener progress, Tensor input, FedInputs fed,
                     Target target) {
        this.model = model;
        model.signature().validate(input, "input");
        this.fed = fed.bind(model.signature(), input.batchSize(), "input");
        this.requestedBatch = BatchSize.check(batchSize);
        this.progress = progress;
        this.input = input;
        int declared = model.signature().outputSize();
        this.outputs = declared >= 0 ? declared : output().dim(1);
        this.seeds = target.seeds(input.batchSize(), outputs);
        if (output != null) {
            // the forward pass that counted the outputs ran before the target's columns were known
            ModelOutputs.requireFinite(model, output, 0, java.util.function.IntUnaryOperator.identity(),
                    ModelOutputs.ofSeeds(seeds));
        }
    }

    /**
     * Whether the finiteness check reads column {@code column} of example {@code example}: the
     * target's columns (non-zero seed weight); none before the target is resolved (the pass that
     * counts the outputs, checked once the target is known).
     */
    private boolean reads(int row, int example, int column) {
        double[][] s = seeds;
        return s != null && ModelOutputs.ofSeeds(s).reads(row, example, column);
    }

    /** The model's other inputs, checked, with their batch axes. */
    public FedInputs.Bound fed() {
        return fed;
    }

    /** The engine for forward passes; made (and, for {@link BatchSize#AUTO}, sized) on first use. */
    public synchronized EvaluationEngine engine() {
        if (engine == null) {
            engine = new EvaluationEngine(model, BatchSize.resolve(requestedBatch, model, input, fed,
                    RowMemory.Call.FORWARD, 1), progress, fed).explaining(this::reads);
        }
        return engine;
    }

    /**
     * The rows per call that bound this run's main model calls, as recorded in the result's
     * options: the batch size given, or what {@link BatchSize#AUTO} resolved to (for a method
     * that runs backward passes, the backward passes' size; its forward-only calls may take
     * more rows under the same budget).
     */
    public synchronized int batchSize() {
        return gradients != null ? gradients.batchSize() : engine().batchSize();
    }

    /**
     * The engine for backward passes; refuses a model that cannot run them.
     *
     * @param method the method's name, for the error message
     */
    public GradientEngine gradients(String method) {
        return gradients(method, 1);
    }

    /**
     * The engine for backward passes of at least {@code minBatch} rows when the batch size is
     * automatic (DeepLIFT: 2, an input and its reference); made on first use.
     */
    public synchronized GradientEngine gradients(String method, int minBatch) {
        if (!(model instanceof DifferentiableModel dm)) {
            throw Explain4jException.unsupported("method", method + " needs gradients, but the model ("
                    + model.info().name() + ") cannot run a backward pass; use a perturbation method ("
                    + String.join(", ", org.explain4j.core.catalog.MethodCatalog.perturbationMethods()) + ") or an ONNX model");
        }
        if (gradients == null) {
            gradients = new GradientEngine(dm, BatchSize.resolve(requestedBatch, model, input, fed,
                    RowMemory.Call.BACKWARD, minBatch), progress, fed);
        }
        return gradients;
    }

    /** Refuses integer inputs for methods that move the input along a path or add noise to it. */
    public void requireFloatingInput(String method) {
        if (!input.dtype().isFloating()) {
            throw Explain4jException.dtype("input", method + " changes the input continuously, but the input is "
                    + input.dtype().label() + " (token ids?); explain an embedding instead, e.g. layer-integrated-gradients "
                    + "layer <embedding output>");
        }
    }

    /** The seed row of each example as a row filler over example indices. */
    public EvaluationEngine.RowFiller seedOfExample(java.util.function.IntUnaryOperator exampleOfRow) {
        return (row, dest) -> System.arraycopy(seeds[exampleOfRow.applyAsInt(row)], 0, dest, 0, dest.length);
    }

    /** Number of outputs of the model. */
    public int outputs() {
        return outputs;
    }

    public Tensor input() {
        return input;
    }

    /** The model's outputs on the input, {@code [N, C]} (the first forward pass, run on first use). */
    public synchronized Tensor output() {
        if (output == null) {
            Tensor out = engine().forward(input);
            int c = out.dim(1);
            if (model.signature().outputSize() >= 0 && model.signature().outputSize() != c) {
                throw Explain4jException.shape("model", "the model declares " + model.signature().outputSize()
                        + " outputs but returned " + c);
            }
            output = out;
        }
        return output;
    }

    /** Seed rows {@code [N][C]} of the target. */
    public double[][] seeds() {
        return seeds;
    }

    /** The explained value of each example on the unperturbed input. */
    public double[] explained() {
        Tensor output = output();
        int n = output.dim(0);
        int c = output.dim(1);
        double[] all = output.toDoubleArray();
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = explained(i, all, i * c);
        }
        return v;
    }

    /** The explained value of example {@code n} from an output row. */
    public double explained(int n, double[] outputs) {
        return explained(n, outputs, 0);
    }

    /**
     * The explained value of example {@code n} from the output row at {@code all[offset..]}: its
     * seed-weighted sum over the columns of non-zero weight only (0 times a masked column's
     * {@code -inf} would be NaN).
     */
    public double explained(int n, double[] all, int offset) {
        double s = 0;
        double[] w = seeds[n];
        for (int c = 0; c < w.length; c++) {
            if (w[c] != 0) {
                s += w[c] * all[offset + c];
            }
        }
        return s;
    }

    /** Assembles the result. */
    public Attribution finish(String method, Tensor values, Target target, Map<String, Object> options,
                              OptionalLong seed, Optional<double[]> gap, Optional<double[]> fit) {
        long evals = (engine == null ? 0 : engine.evaluations()) + (gradients == null ? 0 : gradients.evaluations());
        Diagnostics d = new Diagnostics(evals, Duration.ofNanos(System.nanoTime() - started), gap, fit);
        return new Attribution(method, values, target, options, seed, d, Provenance.of(model.info()),
                model.signature().inputName());
    }

    /** Turns per-example rows of attributions into a tensor of the input's shape (float32). */
    public Tensor valuesOfInputShape(double[][] perExample) {
        int d = input.exampleSize();
        float[] out = new float[perExample.length * d];
        for (int n = 0; n < perExample.length; n++) {
            for (int e = 0; e < d; e++) {
                out[n * d + e] = (float) perExample[n][e];
            }
        }
        return Tensor.ofFloats(out, input.shape());
    }
}
