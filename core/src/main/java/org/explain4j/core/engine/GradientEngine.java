package org.explain4j.core.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;

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
    private final AtomicLong evaluations = new AtomicLong();

    public GradientEngine(DifferentiableModel model, int batchSize, ProgressListener progress) {
        BatchSize.check(batchSize);
        this.model = model;
        this.batchSize = batchSize;
        this.progress = progress == null ? ProgressListener.NONE : progress;
    }

    public DifferentiableModel model() {
        return model;
    }

    /** Rows passed through forward and backward so far. */
    public long evaluations() {
        return evaluations.get();
    }

    /** One backward pass over a whole batch without chunking (for probes of a few rows). */
    public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
        BackwardResult r = model.backward(input, seed, request);
        evaluations.addAndGet(input.batchSize());
        return r;
    }

    /**
     * Runs {@code rows} backward passes: row {@code r} has input {@code inputs.fill(r)}, seed
     * {@code seeds.fill(r)} over the {@code outputs} outputs, and the fed tensors' rows.
     */
    public void run(String task, int rows, int[] exampleShape, EvaluationEngine.RowFiller inputs, int outputs,
                    EvaluationEngine.RowFiller seeds, BackwardRequest request, Map<String, Feed> feeds,
                    BatchConsumer consumer) {
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
                Map<String, Tensor> fed = new LinkedHashMap<>();
                for (Map.Entry<String, Feed> f : feeds.entrySet()) {
                    fed.put(f.getKey(), Batches.fill(feedType, m, f.getValue().exampleShape(), from, f.getValue().filler()));
                }
                BackwardResult r = model.backward(in, Tensor.ofFloats(seed, m, outputs),
                        fed.isEmpty() ? request : request.withFeeds(fed));
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
}
