package org.explain4j.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;

/**
 * The one place through which methods call a model. Work is cut into batches of at most
 * {@code batchSize} examples, so memory stays flat however many perturbations or path steps a
 * method asks for; every example evaluated is counted; long runs report progress.
 *
 * <p>Methods describe their inputs as rows produced on demand ({@link RowFiller}) and receive
 * each output row as soon as its batch has run ({@link OutputConsumer}), so neither all inputs
 * nor all outputs are ever held at once.
 */
public final class EvaluationEngine {
    /** Default number of examples per model call. */
    public static final int DEFAULT_BATCH_SIZE = 64;

    /** Writes the values of input row {@code row} into {@code dest} (one example, flattened). */
    @FunctionalInterface
    public interface RowFiller {
        void fill(int row, double[] dest);
    }

    /** Receives the model's outputs for input row {@code row}. */
    @FunctionalInterface
    public interface OutputConsumer {
        void accept(int row, double[] outputs);
    }

    private final Model model;
    private final int batchSize;
    private final ProgressListener progress;
    private final AtomicLong evaluations = new AtomicLong();

    public EvaluationEngine(Model model, int batchSize, ProgressListener progress) {
        BatchSize.check(batchSize);
        this.model = model;
        this.batchSize = batchSize;
        this.progress = progress == null ? ProgressListener.NONE : progress;
    }

    public EvaluationEngine(Model model, int batchSize) {
        this(model, batchSize, ProgressListener.NONE);
    }

    public Model model() {
        return model;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Examples evaluated so far through this engine. */
    public long evaluations() {
        return evaluations.get();
    }

    /** Runs the model on a batch of any size, in chunks; returns {@code [N, C]}. */
    public Tensor forward(Tensor inputs) {
        int n = inputs.batchSize();
        if (n <= batchSize) {
            return call(inputs);
        }
        List<Tensor> parts = new ArrayList<>();
        for (int from = 0; from < n; from += batchSize) {
            parts.add(call(inputs.slice(from, Math.min(n, from + batchSize))));
        }
        return Tensor.concat(parts);
    }

    /**
     * Evaluates {@code rows} inputs of shape {@code exampleShape}, produced by {@code filler},
     * passing each output row to {@code consumer} in row order.
     */
    public void evaluate(String task, int rows, int[] exampleShape, RowFiller filler, OutputConsumer consumer) {
        DType type = model.signature().inputType();
        boolean report = rows > batchSize;
        if (report) {
            progress.start(task, rows);
        }
        try {
            for (int from = 0; from < rows; from += batchSize) {
                int m = Math.min(rows, from + batchSize) - from;
                Tensor batch = Batches.fill(type, m, exampleShape, from, filler);
                Tensor out = call(batch);
                int c = out.dim(1);
                double[] all = out.toDoubleArray();
                double[] o = new double[c];
                for (int i = 0; i < m; i++) {
                    System.arraycopy(all, i * c, o, 0, c);
                    consumer.accept(from + i, o);
                }
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

    private Tensor call(Tensor batch) {
        Tensor out = model.forward(batch);
        evaluations.addAndGet(batch.batchSize());
        if (out.rank() == 1) {
            out = out.reshape(out.dim(0), 1);
        } else if (out.rank() > 2) {
            out = out.reshape(out.dim(0), out.exampleSize());
        }
        if (out.dim(0) != batch.batchSize()) {
            throw Explain4jException.shape("model", "the model returned " + out.describe() + " for a batch of "
                    + batch.batchSize() + " examples");
        }
        return out;
    }
}
