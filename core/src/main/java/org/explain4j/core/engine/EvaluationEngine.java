package org.explain4j.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.DenseInput;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.LocalEvaluation;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelOutputs;
import org.explain4j.core.model.ParallelForward;

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
    /**
     * A fixed number of examples per model call, for callers that need a number (the metrics).
     * Methods default to {@link BatchSize#AUTO} instead: the most rows that fit the
     * {@link MemoryBudget}. An engine given {@link BatchSize#AUTO} sizes it for the model's
     * declared example shape (open dimensions as 1); {@code MethodRun} sizes it for the input.
     */
    public static final int DEFAULT_BATCH_SIZE = 64;

    /** Writes the values of input row {@code row} into {@code dest} (one example, flattened). */
    @FunctionalInterface
    public interface RowFiller {
        void fill(int row, double[] dest);

        /**
         * Writes rows {@code from .. from + m - 1} as float32 into {@code dest}, row {@code i} at
         * {@code i * d} ({@code d} = {@code row.length}, the example's size), for a float32 model. The
         * values must be those of {@link #fill(int, double[])} rounded to float32; the default does
         * exactly that through {@code row} (scratch). A filler that can write floats directly
         * (the perturbation methods) overrides it to skip the double row.
         */
        default void fill(int from, int m, float[] dest, double[] row) {
            int d = row.length;
            for (int i = 0; i < m; i++) {
                fill(from + i, row);
                int at = i * d;
                for (int j = 0; j < d; j++) {
                    dest[at + j] = (float) row[j];
                }
            }
        }

        /**
         * A filler that writes the same rows as this one and may fill batches on another thread while this
         * one fills others ({@code this} for a filler that keeps no state between calls), or {@code null}
         * (the default): then every batch is filled by this filler, in order, on the calling thread.
         */
        default RowFiller forAnotherThread() {
            return null;
        }
    }

    /** Receives the model's outputs for input row {@code row}. */
    @FunctionalInterface
    public interface OutputConsumer {
        void accept(int row, double[] outputs);

        /**
         * Receives the outputs of rows {@code from .. from + m - 1}: row {@code from + i}'s {@code c}
         * outputs are {@code all[i * c .. i * c + c - 1]} ({@code all} is reused: read it now). The
         * default hands each row to {@link #accept(int, double[])} in a copy; a consumer that reads
         * in place overrides it.
         */
        default void accept(int from, int m, double[] all, int c) {
            double[] o = new double[c];
            for (int i = 0; i < m; i++) {
                System.arraycopy(all, i * c, o, 0, c);
                accept(from + i, o);
            }
        }
    }

    private final Model model;
    private final int batchSize;
    private final int fixedBatch;
    private final ProgressListener progress;
    private final FedInputs.Bound fed;
    private final AtomicLong evaluations = new AtomicLong();
    /** The output values every call checks for NaN and infinity ({@link ModelOutputs#requireFinite}). */
    private volatile ModelOutputs.Explained explained = ModelOutputs.ALL;

    /**
     * An engine whose every call also feeds the model's other inputs {@code fed}, each row with
     * its example's slice.
     */
    public EvaluationEngine(Model model, int batchSize, ProgressListener progress, FedInputs.Bound fed) {
        BatchSize.check(batchSize);
        this.model = model;
        this.fixedBatch = model.signature().fixedBatch();
        // a model exported with a fixed batch is called with exactly that many rows
        this.batchSize = fixedBatch > 0 ? fixedBatch : BatchSize.resolve(batchSize, model, RowMemory.Call.FORWARD);
        this.progress = progress == null ? ProgressListener.NONE : progress;
        this.fed = fed;
    }

    public EvaluationEngine(Model model, int batchSize, ProgressListener progress) {
        this(model, batchSize, progress, FedInputs.Bound.none(1));
    }

    public EvaluationEngine(Model model, int batchSize) {
        this(model, batchSize, ProgressListener.NONE);
    }

    public Model model() {
        return model;
    }

    /** The rows per call (never {@link BatchSize#AUTO}: resolved when the engine was made). */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Makes every later call check only the output values {@code e} reads for NaN and infinity
     * (by default every value): a method's engine checks its target's columns, so a model whose
     * unexplained columns hold {@code -inf} (masked logits) is explained.
     */
    public EvaluationEngine explaining(ModelOutputs.Explained e) {
        this.explained = e;
        return this;
    }

    /** Restores the values checked before {@link #explainingWithin} when closed. */
    public interface CheckScope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Checks only {@code e}'s values until the returned scope is closed, then restores the previous
     * ones (a caller that reads other columns than the engine's own, or a diagnostic value that must
     * not refuse the result: {@link ModelOutputs#NONE}).
     */
    public CheckScope explainingWithin(ModelOutputs.Explained e) {
        ModelOutputs.Explained previous = explained;
        explained = e;
        return () -> explained = previous;
    }

    /** Examples evaluated so far through this engine. */
    public long evaluations() {
        return evaluations.get();
    }

    /** Runs the model on a batch of any size (row {@code i} is example {@code i}), in chunks; returns {@code [N, C]}. */
    public Tensor forward(Tensor inputs) {
        return forward(inputs, IntUnaryOperator.identity());
    }

    /** Runs the model on a batch of any size whose row {@code r} belongs to example {@code exampleOfRow(r)}. */
    public Tensor forward(Tensor inputs, IntUnaryOperator exampleOfRow) {
        int n = inputs.batchSize();
        if (n <= batchSize) {
            return call(inputs, 0, exampleOfRow);
        }
        List<Tensor> parts = new ArrayList<>();
        for (int from = 0; from < n; from += batchSize) {
            parts.add(call(inputs.slice(from, Math.min(n, from + batchSize)), from, exampleOfRow));
        }
        return Tensor.concat(parts);
    }

    /**
     * Evaluates {@code rows} inputs of shape {@code exampleShape}, produced by {@code filler},
     * passing each output row to {@code consumer} in row order. Only for a model whose fed
     * inputs (if any) are the same for every example; otherwise say which example each row
     * belongs to.
     */
    public void evaluate(String task, int rows, int[] exampleShape, RowFiller filler, OutputConsumer consumer) {
        evaluate(task, rows, exampleShape, fed.shared(), filler, consumer);
    }

    /**
     * Evaluates {@code rows} inputs of shape {@code exampleShape}, produced by {@code filler},
     * row {@code r} with the fed inputs of example {@code exampleOfRow(r)}, passing each output
     * row to {@code consumer} in row order.
     */
    public void evaluate(String task, int rows, int[] exampleShape, IntUnaryOperator exampleOfRow, RowFiller filler,
                         OutputConsumer consumer) {
        DType type = model.signature().inputType();
        boolean report = scope == null && rows > batchSize;
        if (report) {
            progress.start(task, rows);
        }
        try {
            ParallelForward pf = parallelForward(filler);
            if (pf != null) {
                evaluateParallel(pf, rows, exampleShape, exampleOfRow, filler, consumer, report);
                return;
            }
            // one input buffer and one output buffer for all the batches of this call
            Batches.Buffers buffers = new Batches.Buffers(type, Math.min(rows, batchSize), exampleShape);
            for (int from = 0; from < rows; from += batchSize) {
                int m = Math.min(rows, from + batchSize) - from;
                Tensor batch = buffers.fill(m, from, filler);
                Tensor out = call(batch, from, exampleOfRow);
                consumer.accept(from, m, buffers.outputs(out), out.dim(1));
                advance(report, m);
            }
        } finally {
            if (report) {
                progress.finish();
            }
        }
    }

    /**
     * The model's calls on one thread each where {@link #evaluate} may run several at once: the model offers
     * them ({@link ParallelForward#parallelCalls} above 1), the filler can fill on other threads
     * ({@link RowFiller#forAnotherThread}), and every call may take any rows with no other fed inputs.
     */
    private ParallelForward parallelForward(RowFiller filler) {
        if (!(model instanceof ParallelForward pf) || fixedBatch > 0 || !fed.isEmpty()
                || filler.forAnotherThread() == null || pf.parallelCalls() <= 1) {
            return null;
        }
        return pf;
    }

    /**
     * {@link #evaluate} through {@link ParallelForward#forwardOnOneThread}, {@code parallelCalls()} batches at
     * once where there are that many ({@link Workers}); every batch, also of a one-batch call, goes through
     * the one-thread calls, so the bits do not depend on how many run at once.
     */
    private void evaluateParallel(ParallelForward pf, int rows, int[] exampleShape, IntUnaryOperator exampleOfRow,
                                  RowFiller filler, OutputConsumer consumer, boolean report) {
        DType type = model.signature().inputType();
        int batches = (int) ((rows + (long) batchSize - 1) / batchSize);
        int t = Math.max(1, Math.min(pf.parallelCalls(), batches));
        BatchRunner[] runners = new BatchRunner[t];
        for (int i = 0; i < t; i++) {
            RowFiller f = i == 0 ? filler : filler.forAnotherThread();
            Batches.Buffers own = new Batches.Buffers(type, Math.min(rows, batchSize), exampleShape);
            runners[i] = (from, m) -> pf.forwardOnOneThread(own.fill(m, from, f));
        }
        Batches.Buffers outs = new Batches.Buffers(type, 0, exampleShape);
        BatchConsumer hand = (raw, from, m) -> {
            Tensor out = checked(raw, m, from, exampleOfRow);
            evaluations.addAndGet(m);
            consumer.accept(from, m, outs.outputs(out), out.dim(1));
        };
        if (t == 1) {
            for (int from = 0; from < rows; from += batchSize) {
                int m = Math.min(rows, from + batchSize) - from;
                hand.accept(runners[0].run(from, m), from, m);
                advance(report, m);
            }
            return;
        }
        new Workers(rows, batchSize, runners, hand, report).run();
    }

    /** A progress bar shared by several calls; closing it finishes the bar. */
    public interface ProgressScope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * One progress bar of {@code total} rows over several {@code evaluate} calls (a method that
     * evaluates its examples in chunks): until the scope is closed, calls only advance it.
     */
    public ProgressScope progressScope(String task, long total) {
        if (scope != null) {
            return () -> { };
        }
        boolean report = total > batchSize;
        if (report) {
            progress.start(task, total);
        }
        Object token = new Object();
        scope = new Scope(report, token);
        return () -> {
            if (scope != null && scope.token == token) {
                scope = null;
                if (report) {
                    progress.finish();
                }
            }
        };
    }

    private record Scope(boolean report, Object token) {
    }

    private Scope scope;

    private void advance(boolean report, int m) {
        if (report) {
            progress.advance(m);
        } else if (scope != null && scope.report) {
            progress.advance(m);
        }
    }

    /**
     * Like {@link #evaluate(String, int, int[], IntUnaryOperator, RowFiller, OutputConsumer)} for
     * rows that each differ from their example ({@code baseOfExample}) only inside a spatial box
     * ({@code lo[r]}, {@code hi[r]}: rows and columns of the last two dimensions), through the
     * model's {@link LocalEvaluation} where it has one and qualifies (incremental inference),
     * otherwise through ordinary batches. Rows of one example must be consecutive. Returns
     * {@code false}, evaluating nothing, when the model offers no local evaluation at all (it has
     * other fed inputs, a fixed batch, or does not implement it).
     */
    public boolean evaluateLocal(String task, int rows, int[] exampleShape, IntUnaryOperator exampleOfRow,
                                 java.util.function.IntFunction<double[]> baseOfExample, int[][] lo, int[][] hi,
                                 RowFiller filler, OutputConsumer consumer) {
        if (!(model instanceof LocalEvaluation le) || fixedBatch > 0 || !fed.isEmpty() || exampleShape.length < 2
                || rows == 0) {
            return false;
        }
        boolean report = scope == null && rows > batchSize;
        if (report) {
            progress.start(task, rows);
        }
        try {
            int from = 0;
            while (from < rows) {
                int example = exampleOfRow.applyAsInt(from);
                int to = from + 1;
                while (to < rows && exampleOfRow.applyAsInt(to) == example) {
                    to++;
                }
                int start = from;
                int m = to - from;
                int[][] l = java.util.Arrays.copyOfRange(lo, from, to);
                int[][] h = java.util.Arrays.copyOfRange(hi, from, to);
                LocalEvaluation.Evaluator ev = le.local(baseOfExample.apply(example), exampleShape, l, h, batchSize);
                if (ev == null) {
                    for (int f = 0; f < m; f += batchSize) {
                        int k = Math.min(m, f + batchSize) - f;
                        int first = start + f;
                        Tensor batch = Batches.fill(model.signature().inputType(), k, exampleShape, first, filler);
                        Tensor out = call(batch, first, exampleOfRow);
                        consumer.accept(first, k, out.toDoubleArray(), out.dim(1));
                        advance(report, k);
                    }
                } else {
                    int[] done = {0};
                    ModelOutputs.Explained check = explained;
                    ev.evaluate(m, l, h, (r, dest) -> filler.fill(start + r, dest), (r, o) -> {
                        ModelOutputs.requireFinite(model, o, start + r, example, check);
                        consumer.accept(start + r, o);
                        evaluations.incrementAndGet();
                        if (++done[0] % batchSize == 0) {
                            advance(report, batchSize);
                        }
                    });
                    if (done[0] % batchSize != 0) {
                        advance(report, done[0] % batchSize);
                    }
                }
                from = to;
            }
        } finally {
            if (report) {
                progress.finish();
            }
        }
        return true;
    }

    /**
     * The most bytes of pre-activations per call of {@link #evaluateDense} (beyond 256 rows): one MiB,
     * so that a batch stays in a core's L2 cache while it is written, copied to ONNX Runtime and cast
     * there (2048 rows of a 64-wide layer). Tabular50's Shapley sampling: 20-25% less CPU at 1024 rows
     * than at 16384 at load 15; at load 5, 1024 / 2048 / 4096 rows within 5% of each other (2048 and
     * 4096 slightly ahead: fewer calls); docs/NOTES.md "Sampling methods, fourth round".
     */
    static final long DENSE_BATCH_BYTES = 1L << 20;

    /**
     * Writes the pre-activations of rows {@code from .. from + m - 1}, row {@code i} at {@code i * width},
     * in double: the layer rounds them to float32 ({@link DenseInput.Layer#forwardFromLayer}).
     */
    @FunctionalInterface
    public interface LayerFiller {
        void fill(int from, int m, double[] dest);

        /**
         * A filler with state of its own that writes the same bits for every row as this one whatever
         * rows it is given and in whatever order (so that batches can be filled on several threads at
         * once, {@link DenseInput.Layer#parallelCalls}), or {@code null} (the default) when this filler
         * must fill every batch itself, in order.
         */
        default LayerFiller forAnotherThread() {
            return null;
        }
    }

    /**
     * The model's dense first layer ({@link DenseInput#denseInput}) where the engine may use it: the
     * model offers one, every call is free to take any number of rows (no fixed batch) and there are
     * no other fed inputs; else {@code null}.
     */
    public DenseInput.Layer denseInput() {
        if (!(model instanceof DenseInput di) || fixedBatch > 0 || !fed.isEmpty()) {
            return null;
        }
        return di.denseInput();
    }

    /**
     * Evaluates {@code rows} rows given by their first layer's pre-activations ({@code filler},
     * {@code layer.width()} doubles a row), running only the rest of the model, in batches of at most
     * {@link #batchSize()} rows (fewer for a wide layer: {@value #DENSE_BATCH_BYTES} bytes of
     * pre-activations, 256 rows at least); each batch's outputs go to {@code consumer} as in
     * {@link #evaluate(String, int, int[], IntUnaryOperator, RowFiller, OutputConsumer)}. Rows are
     * counted as evaluations. {@code layer} comes from {@link #denseInput()}. Row {@code r} belongs
     * to example {@code exampleOfRow(r)} (named by the finiteness check of the outputs). Where the layer
     * asks for several calls at once ({@link DenseInput.Layer#parallelCalls}) and the filler has copies for
     * other threads ({@link LayerFiller#forAnotherThread}), that many batches are filled and run at once on
     * worker threads; the consumer still receives them in row order, on this thread ({@link Workers}).
     */
    public void evaluateDense(String task, int rows, DenseInput.Layer layer, IntUnaryOperator exampleOfRow,
                              LayerFiller filler, OutputConsumer consumer) {
        boolean report = scope == null && rows > batchSize;
        if (report) {
            progress.start(task, rows);
        }
        try {
            int w = layer.width();
            // the batch size was sized for input rows; the batch of pre-activations stays within
            // DENSE_BATCH_BYTES (256 rows at least)
            int step = (int) Math.min(batchSize, Math.max(256, DENSE_BATCH_BYTES / ((long) Double.BYTES * w)));
            int batches = (int) ((rows + (long) step - 1) / step);
            LayerFiller[] fillers = fillers(filler, Math.min(layer.parallelCalls(), batches));
            if (fillers.length > 1) {
                BatchRunner[] runners = new BatchRunner[fillers.length];
                for (int i = 0; i < runners.length; i++) {
                    LayerFiller f = fillers[i];
                    double[] own = new double[Math.multiplyExact(Math.min(rows, step), w)];
                    runners[i] = (from, m) -> {
                        f.fill(from, m, own);
                        return layer.forwardFromLayer(own, m);
                    };
                }
                Batches.Outputs outs = new Batches.Outputs();
                new Workers(rows, step, runners, (out, from, m) -> consume(out, from, m, exampleOfRow, outs, consumer),
                        report).run();
                return;
            }
            double[] buf = new double[Math.multiplyExact(Math.max(1, Math.min(rows, step)), w)];
            Batches.Outputs outs = new Batches.Outputs();
            for (int from = 0; from < rows; from += step) {
                int m = Math.min(rows, from + step) - from;
                filler.fill(from, m, buf);
                consume(layer.forwardFromLayer(buf, m), from, m, exampleOfRow, outs, consumer);
                advance(report, m);
            }
        } finally {
            if (report) {
                progress.finish();
            }
        }
    }

    /** {@code filler} and up to {@code n - 1} fillers of its own for other threads (fewer when it has none). */
    private static LayerFiller[] fillers(LayerFiller filler, int n) {
        List<LayerFiller> all = new ArrayList<>(List.of(filler));
        while (all.size() < n) {
            LayerFiller f = filler.forAnotherThread();
            if (f == null) {
                break;
            }
            all.add(f);
        }
        return all.toArray(new LayerFiller[0]);
    }

    /**
     * Checks a batch's outputs ({@code out}, rows {@code from .. from + m - 1}), counts them and hands them
     * to {@code consumer} in {@code outs} (grown when short); returns the array used.
     */
    /** {@link #call}'s checks of a dense batch's outputs, counted, handed to {@code consumer}. */
    private void consume(Tensor out, int from, int m, IntUnaryOperator exampleOfRow, Batches.Outputs outs,
                         OutputConsumer consumer) {
        Tensor o = checked(out, m, from, exampleOfRow);
        evaluations.addAndGet(m);
        consumer.accept(from, m, outs.of(o), o.dim(1));
    }

    /** Fills and runs rows {@code from .. from + m - 1} on one worker's own buffers; returns the model's outputs. */
    @FunctionalInterface
    private interface BatchRunner {
        Tensor run(int from, int m);
    }

    /** Checks and hands on a batch's outputs, on the calling thread, in batch order. */
    @FunctionalInterface
    private interface BatchConsumer {
        void accept(Tensor out, int from, int m);
    }

    /**
     * Batches on several threads: worker {@code t} fills and runs batches {@code t}, {@code t + T}, ... with
     * its own filler and buffers (the model runs {@code T} calls at once), while the calling thread checks
     * and hands each batch's outputs on strictly in batch order, as the one-thread loops do; so the
     * consumer (which sums each job's rows), the finiteness check, the evaluation count and the progress
     * bar see exactly what they see on one thread, and a failure is the first in batch order. Workers run
     * at most two rounds ahead of the consumer (outputs held: a few batches).
     */
    private final class Workers {
        private final int rows;
        private final int step;
        private final int batches;
        private final BatchRunner[] runners;
        private final BatchConsumer consumer;
        private final boolean report;
        /** Batch {@code k}'s outputs once run, until consumed (guarded by {@code this}). */
        private final Tensor[] done;
        private int consumed;
        private Throwable failure;
        /** The batch whose filling or call failed first in batch order. */
        private int failedBatch = Integer.MAX_VALUE;
        private boolean stop;

        Workers(int rows, int step, BatchRunner[] runners, BatchConsumer consumer, boolean report) {
            this.rows = rows;
            this.step = step;
            this.batches = (int) ((rows + (long) step - 1) / step);
            this.runners = runners;
            this.consumer = consumer;
            this.report = report;
            this.done = new Tensor[batches];
        }

        void run() {
            int t = runners.length;
            Thread[] threads = new Thread[t];
            for (int i = 0; i < t; i++) {
                int worker = i;
                // they call ONNX Runtime: NativeThreads' stack (a JVM with a long class path, Spark's)
                threads[i] = org.explain4j.core.NativeThreads.daemonFactory("explain4j-rows-" + i).newThread(() -> work(worker));
                threads[i].start();
            }
            Throwable thrown = null;
            try {
                for (int k = 0; k < batches; k++) {
                    Tensor out;
                    synchronized (this) {
                        // a later batch's failure waits until the batches before it are consumed (the
                        // first failure in batch order is the one reported, as on one thread)
                        while (done[k] == null && !(failure != null && failedBatch <= k)) {
                            wait();
                        }
                        if (done[k] == null) {
                            break;
                        }
                        out = done[k];
                        done[k] = null;
                    }
                    int from = k * step;
                    int m = Math.min(rows, from + step) - from;
                    consumer.accept(out, from, m);
                    advance(report, m);
                    synchronized (this) {
                        consumed = k + 1;
                        notifyAll();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                thrown = new IllegalStateException("interrupted while rows were evaluated", e);
            } catch (RuntimeException | Error e) {
                thrown = e;
            } finally {
                synchronized (this) {
                    stop = true;
                    notifyAll();
                }
                // no worker may still be calling the model when this returns (the caller may close it)
                boolean interrupted = false;
                for (Thread th : threads) {
                    while (true) {
                        try {
                            th.join();
                            break;
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            Throwable fail = thrown != null ? thrown : failure;
            if (fail instanceof RuntimeException r) {
                throw r;
            }
            if (fail instanceof Error e) {
                throw e;
            }
            if (fail != null) {
                // a checked exception or an interrupted wait: never a result with batches missing
                throw new IllegalStateException("rows could not be evaluated: " + fail, fail);
            }
        }

        private void work(int worker) {
            int k = worker;
            try {
                int t = runners.length;
                for (; k < batches; k += t) {
                    synchronized (this) {
                        while (!stop && failedBatch > k && k - consumed >= 2 * t) {
                            wait();
                        }
                        if (stop || failedBatch < k) {
                            return;
                        }
                    }
                    int from = k * step;
                    Tensor out = runners[worker].run(from, Math.min(rows, from + step) - from);
                    synchronized (this) {
                        done[k] = out;
                        notifyAll();
                    }
                }
            } catch (Throwable e) {
                synchronized (this) {
                    if (k < failedBatch) {
                        failure = e;
                        failedBatch = k;
                    }
                    notifyAll();
                }
            }
        }
    }

    private Tensor call(Tensor batch, int from, IntUnaryOperator exampleOfRow) {
        int m = batch.batchSize();
        Tensor in = batch;
        IntUnaryOperator rowOf = exampleOfRow;
        if (fixedBatch > 0 && m < fixedBatch) {
            // pad a short last chunk to the model's fixed batch by repeating its last row
            List<Tensor> parts = new ArrayList<>(List.of(batch));
            for (int i = m; i < fixedBatch; i++) {
                parts.add(batch.slice(m - 1, m));
            }
            in = Tensor.concat(parts);
            rowOf = r -> exampleOfRow.applyAsInt(Math.min(r, from + m - 1));
        }
        Tensor out = checked(model.forward(in, fed.rows(from, in.batchSize(), rowOf)), in.batchSize(), from, rowOf);
        evaluations.addAndGet(m);
        return in == batch ? out : out.slice(0, m);
    }

    /**
     * The model's output for a batch of {@code rows} rows, the first being global row {@code from}:
     * the explained values checked for NaN and infinity (row {@code r} of example
     * {@code exampleOfRow(from + r)}), as {@code [rows, C]}, one output row per input row.
     */
    private Tensor checked(Tensor out, int rows, int from, IntUnaryOperator exampleOfRow) {
        ModelOutputs.requireFinite(model, out, from, exampleOfRow, explained);
        if (out.rank() == 1) {
            out = out.reshape(out.dim(0), 1);
        } else if (out.rank() > 2) {
            out = out.reshape(out.dim(0), out.exampleSize());
        }
        if (out.dim(0) != rows) {
            throw Explain4jException.shape("model", "the model returned " + out.describe() + " for a batch of "
                    + rows + " examples");
        }
        return out;
    }
}
