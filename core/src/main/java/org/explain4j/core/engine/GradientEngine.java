package org.explain4j.core.engine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.ActivationCapture;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.model.FedInputs;

/**
 * The one place through which gradient methods run backward passes: rows (path points, noisy
 * copies, per-example seeds) are produced on demand and cut into batches of at most
 * {@code batchSize}, so memory stays flat however many steps or samples a method asks for.
 * Each row counts as one model evaluation.
 */
public final class GradientEngine {
    /** Receives the result of one batch, whose rows start at {@code firstRow}. */
    @FunctionalInterface
    public interface BatchConsumer {
        void accept(int firstRow, int rows, BackwardResult result);
    }

    /** A tensor fed in place of an intermediate value: the example shape and a row filler. */
    public record Feed(int[] exampleShape, EvaluationEngine.RowFiller filler) {
        public Feed {
            exampleShape = exampleShape.clone();
        }
    }

    private final DifferentiableModel model;
    private final int batchSize;
    private final ProgressListener progress;
    private final FedInputs.Bound fed;
    private final AtomicLong evaluations = new AtomicLong();

    /**
     * An engine whose every backward pass also feeds the model's other inputs {@code fed}, each
     * row with its example's slice.
     */
    public GradientEngine(DifferentiableModel model, int batchSize, ProgressListener progress, FedInputs.Bound fed) {
        BatchSize.check(batchSize);
        this.model = model;
        this.batchSize = BatchSize.resolve(batchSize, model, RowMemory.Call.BACKWARD);
        this.progress = progress == null ? ProgressListener.NONE : progress;
        this.fed = fed;
    }

    public GradientEngine(DifferentiableModel model, int batchSize, ProgressListener progress) {
        this(model, batchSize, progress, FedInputs.Bound.none(1));
    }

    public DifferentiableModel model() {
        return model;
    }

    /** The rows per backward pass (never {@link BatchSize#AUTO}: resolved when the engine was made). */
    public int batchSize() {
        return batchSize;
    }

    /** Rows passed through forward and backward so far. */
    public long evaluations() {
        return evaluations.get();
    }

    /** One backward pass over a whole batch, for a model fed the same for every example. */
    public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
        return backward(input, seed, request, fed.shared());
    }

    /**
     * One backward pass over a whole batch without chunking (for probes of a few rows), row
     * {@code r} with the fed inputs of example {@code exampleOfRow(r)}.
     */
    public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request, IntUnaryOperator exampleOfRow) {
        Map<String, Tensor> inputs = fed.rows(0, input.batchSize(), exampleOfRow);
        BackwardResult r = model.backward(input, seed, inputs.isEmpty() ? request : request.withInputs(inputs));
        evaluations.addAndGet(input.batchSize());
        return r;
    }

    /**
     * The model's outputs and the values of the intermediate tensors {@code tensors} on {@code rows}
     * rows, in batches, with no gradient: a forward pass where the model can capture tensors
     * ({@link ActivationCapture}), otherwise a backward pass with a zero seed over the
     * {@code outputs} outputs. Row {@code r} has input {@code inputs.fill(r)} and the fed model
     * inputs of example {@code exampleOfRow(r)}; each batch's result has empty gradients.
     */
    public void capture(String task, int rows, int[] exampleShape, IntUnaryOperator exampleOfRow,
                        EvaluationEngine.RowFiller inputs, int outputs, List<String> tensors, BatchConsumer consumer) {
        DType type = model.signature().inputType();
        boolean report = rows > batchSize;
        if (report) {
            progress.start(task, rows);
        }
        try {
            for (int from = 0; from < rows; from += batchSize) {
                int m = Math.min(rows, from + batchSize) - from;
                Tensor in = Batches.fill(type, m, exampleShape, from, inputs);
                Map<String, Tensor> modelInputs = fed.rows(from, m, exampleOfRow);
                BackwardResult r;
                if (model instanceof ActivationCapture c) {
                    r = c.capture(in, tensors, modelInputs);
                } else {
                    BackwardResult b = model.backward(in, Tensor.ofFloats(new float[m * outputs], m, outputs),
                            new BackwardRequest(RuleSet.gradient(), tensors, Map.of(), false, modelInputs));
                    r = new BackwardResult(b.output(), java.util.Optional.empty(), b.activations(), Map.of());
                }
                evaluations.addAndGet(m);
                consumer.accept(from, m, r);
                if (report) {
                    progress.advance(m);
                }
            }
        } finally {
            if (report) {
                progress.finish();
            }
        }
    }

    /** {@link #run(String, int, int[], IntUnaryOperator, EvaluationEngine.RowFiller, int, EvaluationEngine.RowFiller, BackwardRequest, Map, BatchConsumer)} for a model fed the same for every example. */
    public void run(String task, int rows, int[] exampleShape, EvaluationEngine.RowFiller inputs, int outputs,
                    EvaluationEngine.RowFiller seeds, BackwardRequest request, Map<String, Feed> feeds,
                    BatchConsumer consumer) {
        run(task, rows, exampleShape, fed.shared(), inputs, outputs, seeds, request, feeds, consumer);
    }

    /**
     * Runs {@code rows} backward passes: row {@code r} has input {@code inputs.fill(r)}, seed
     * {@code seeds.fill(r)} over the {@code outputs} outputs, the fed tensors' rows, and the fed
     * model inputs of example {@code exampleOfRow(r)}.
     */
    public void run(String task, int rows, int[] exampleShape, IntUnaryOperator exampleOfRow,
                    EvaluationEngine.RowFiller inputs, int outputs, EvaluationEngine.RowFiller seeds,
                    BackwardRequest request, Map<String, Feed> feeds, BatchConsumer consumer) {
        DType type = model.signature().inputType();
        DType feedType = type == DType.FLOAT64 ? DType.FLOAT64 : DType.FLOAT32;
        boolean report = rows > batchSize;
        if (report) {
            progress.start(task, rows);
        }
        try {
            double[] seedRow = new double[outputs];
            for (int from = 0; from < rows; from += batchSize) {
                int m = Math.min(rows, from + batchSize) - from;
                Tensor in = Batches.fill(type, m, exampleShape, from, inputs);
                float[] seed = new float[m * outputs];
                for (int i = 0; i < m; i++) {
                    seeds.fill(from + i, seedRow);
                    for (int c = 0; c < outputs; c++) {
                        seed[i * outputs + c] = (float) seedRow[c];
                    }
                }
                Map<String, Tensor> fedLayers = new LinkedHashMap<>();
                for (Map.Entry<String, Feed> f : feeds.entrySet()) {
                    fedLayers.put(f.getKey(), Batches.fill(feedType, m, f.getValue().exampleShape(), from, f.getValue().filler()));
                }
                Map<String, Tensor> modelInputs = fed.rows(from, m, exampleOfRow);
                BackwardRequest req = fedLayers.isEmpty() ? request : request.withFeeds(fedLayers);
                BackwardResult r = model.backward(in, Tensor.ofFloats(seed, m, outputs),
                        modelInputs.isEmpty() ? req : req.withInputs(modelInputs));
                evaluations.addAndGet(m);
                consumer.accept(from, m, r);
                org.explain4j.core.Timeline.mark("batch consumed");
                if (report) {
                    progress.advance(m);
                }
            }
        } finally {
            if (report) {
                progress.finish();
            }
        }
    }
}
