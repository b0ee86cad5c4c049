package org.explain4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.BatchSize;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;

/**
 * Explode, score, regroup: one row's model evaluations spread over the cluster's tasks, for a
 * perturbation method with a large budget on few rows. For each row the method runs on the
 * driver against a {@link Recorder} (placeholder outputs; it keeps the perturbed rows it is asked
 * for); the recorded rows are cut into pieces (about four per task, at least {@code batchSize}
 * rows, at most the evaluation engine's batch for the model) and scored as one Spark job over
 * {@code partitions} tasks, each with its executor's cached model; the method then runs
 * again against a {@link Replayer}, which returns the scored outputs in the order they were asked
 * for. This relies on the perturbation methods choosing every perturbation before seeing an
 * output (KernelSHAP, LIME, Shapley sampling and enumeration, ablation, occlusion: their draws
 * come from the seed alone) and on a row's output not depending on its batch; the replayer
 * checks each row it is asked for against the recorded one and refuses, in one line, a method
 * that asks for anything else. So the results are bit-identical to the per-partition path.
 *
 * <p>The recorded rows of the rows in flight are held on the driver: at most {@code maxValues}
 * input values at once (rows are processed in groups under that bound; a single row over it is
 * refused, naming {@code spreadMaxValues}). The transform is eager: the jobs run when it is called.
 */
final class SpreadEvaluations {
    /** The description of the scoring jobs (Spark's UI and listeners show it). */
    static final String JOB_DESCRIPTION = "explain4j spreadEvaluations: scoring perturbed rows";

    private final SparkSession spark;
    private final ExplainJob job;
    private final int partitions;
    private final long maxValues;

    SpreadEvaluations(SparkSession spark, ExplainJob job, int partitions, long maxValues) {
        this.spark = spark;
        this.job = job;
        this.partitions = partitions;
        this.maxValues = maxValues;
    }

    /** A row of the input with its recording (or its error). */
    private static final class Spread {
        final ExplainJob.Pending pending;
        final int partition;
        ExplainJob.Failure error;
        Recorder recorder;
        Tensor outputs;

        Spread(ExplainJob.Pending pending, int partition) {
            this.pending = pending;
            this.partition = partition;
        }
    }

    /** A piece of recorded rows to score: which row, where its rows start, and the rows (a tensor's parts). */
    record Piece(int spread, int from, int rows, Block block) implements Serializable {
    }

    /** A tensor as plain arrays, so that it travels with a task. */
    record Block(DType dtype, int[] shape, float[] f32, double[] f64, long[] i64) implements Serializable {
        static Block of(Tensor t) {
            return switch (t.dtype()) {
                case FLOAT32 -> new Block(t.dtype(), t.shape(), t.toFloatArray(), null, null);
                case FLOAT64 -> new Block(t.dtype(), t.shape(), null, t.toDoubleArray(), null);
                case INT64, INT32 -> new Block(t.dtype(), t.shape(), null, null, t.toLongArray());
            };
        }

        Tensor tensor() {
            return switch (dtype) {
                case FLOAT32 -> Tensor.ofFloats(f32, shape);
                case FLOAT64 -> Tensor.ofDoubles(f64, shape);
                case INT64 -> Tensor.ofLongs(i64, shape);
                case INT32 -> Tensor.ofInt32(i64, shape);
            };
        }
    }

    /** The explained rows of {@code data}, in its order, with the schema {@code out}. */
    Dataset<Row> run(Dataset<?> data, StructType out) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<List<Row>> parts = data.toDF().javaRDD().glom().collect();
        OnnxDifferentiableModel model = job.model();
        List<Row> result = new ArrayList<>();
        List<Spread> group = new ArrayList<>();
        long held = 0;
        for (int pi = 0; pi < parts.size(); pi++) {
            List<Row> rows = parts.get(pi);
            for (int k = 0; k < rows.size(); k++) {
                Spread s = new Spread(job.pending(rows.get(k), k), pi);
                s.error = job.check(s.pending, null);
                if (s.error == null) {
                    record(model, s);
                }
                long v = s.recorder == null ? 0 : s.recorder.values;
                if (held + v > maxValues && !group.isEmpty()) {
                    result.addAll(flush(jsc, group));
                    group.clear();
                    held = 0;
                }
                held += v;
                group.add(s);
            }
        }
        result.addAll(flush(jsc, group));
        return spark.createDataFrame(result, out);
    }

    /** Runs the method on the recorder; an error before any model call is the row's error. */
    private void record(OnnxDifferentiableModel model, Spread s) {
        Recorder r = new Recorder(model, maxValues, s.pending.x());
        try {
            job.attributeWith(r, false, List.of(s.pending), List.of(0), new double[1][], new double[1]);
        } catch (Explain4jException e) {
            if ("spreadMaxValues".equals(e.argument())) {
                throw e;
            }
            if (r.rows == 0) {
                s.error = ExplainJob.Failure.of(e);
                return;
            }
            // it failed after asking for outputs (on placeholders, perhaps): the replay tells
        } catch (RuntimeException e) {
            if (r.rows == 0) {
                s.error = ExplainJob.Failure.of(e);
                return;
            }
        }
        s.recorder = r;
    }

    /** Scores the group's recorded rows over the cluster, replays each row, and gives its output rows. */
    private List<Row> flush(JavaSparkContext jsc, List<Spread> group) {
        List<Piece> pieces = new ArrayList<>();
        int fixed = job.model().signature().fixedBatch();
        long total = 0;
        for (Spread s : group) {
            total += s.recorder == null ? 0 : s.recorder.rows;
        }
        // about four pieces per task (for balance), each at least batchSize rows and at most what the
        // evaluation engine would give the model in one call (its memory budget)
        int most = Math.max(job.batchSize, new EvaluationEngine(job.model(), BatchSize.AUTO).batchSize());
        int per = fixed > 0 ? fixed
                : (int) Math.min(most, Math.max(job.batchSize, (total + 4L * partitions - 1) / (4L * partitions)));
        for (int i = 0; i < group.size(); i++) {
            Recorder r = group.get(i).recorder;
            if (r == null || r.rows == 0) {
                continue;
            }
            Tensor all = r.recorded();
            for (int from = 0; from < r.rows; from += per) {
                int to = Math.min(r.rows, from + per);
                Tensor t = all.slice(from, to);
                if (fixed > 0 && to - from < fixed) {
                    // a model exported with a fixed batch takes exactly that many rows: repeat the last
                    List<Tensor> pad = new ArrayList<>(List.of(t));
                    for (int k = to - from; k < fixed; k++) {
                        pad.add(all.slice(to - 1, to));
                    }
                    t = Tensor.concat(pad);
                }
                pieces.add(new Piece(i, from, to - from, Block.of(t)));
            }
        }
        if (!pieces.isEmpty()) {
            int slices = Math.max(1, Math.min(partitions, pieces.size()));
            ExplainJob j = job;
            jsc.setJobDescription(JOB_DESCRIPTION);
            List<Piece> scored;
            try {
                scored = jsc.parallelize(pieces, slices).map(j::score).collect();
            } finally {
                jsc.setJobDescription(null);
            }
            List<List<Tensor>> outs = new ArrayList<>();
            for (int i = 0; i < group.size(); i++) {
                outs.add(new ArrayList<>());
            }
            for (Piece p : scored) { // collect keeps the pieces' order
                outs.get(p.spread()).add(p.block().tensor().slice(0, p.rows()));
            }
            for (int i = 0; i < group.size(); i++) {
                if (!outs.get(i).isEmpty()) {
                    group.get(i).outputs = Tensor.concat(outs.get(i));
                }
            }
        }
        List<Row> rows = new ArrayList<>(group.size());
        for (Spread s : group) {
            double[][] values = new double[1][];
            double[] gaps = {Double.NaN};
            ExplainJob.Failure error = s.error;
            if (error == null) {
                Replayer r = new Replayer(s.recorder, s.outputs, job.method);
                try {
                    job.attributeWith(r, false, List.of(s.pending), List.of(0), values, gaps);
                    r.finished();
                } catch (Explain4jException e) {
                    if ("spreadEvaluations".equals(e.argument())) {
                        throw e;
                    }
                    error = ExplainJob.Failure.of(e);
                } catch (RuntimeException e) {
                    error = ExplainJob.Failure.of(e);
                }
            }
            s.recorder = null;
            s.outputs = null;
            rows.add(job.outputRow(s.pending, values[0], gaps[0], error, s.partition));
        }
        return rows;
    }

    /**
     * A stand-in for the model that answers every call with zeros and keeps the rows it was
     * asked for (at most {@code maxValues} values, else a one-line error naming spreadMaxValues).
     */
    static final class Recorder implements Model {
        private final Model model;
        private final long maxValues;
        private final Tensor row;
        private final List<Tensor> calls = new ArrayList<>();
        private int outputs = -1;
        long values;
        int rows;

        Recorder(Model model, long maxValues, org.explain4j.spark.Layout.Decoded row) {
            this.model = model;
            this.maxValues = maxValues;
            this.row = row == null ? null : ExplainJob.make(model.signature().inputType(), row.values,
                    prepend(ExplainJob.exampleShape(model, row)));
        }

        private static int[] prepend(int[] shape) {
            int[] s = new int[shape.length + 1];
            s[0] = 1;
            System.arraycopy(shape, 0, s, 1, shape.length);
            return s;
        }

        @Override
        public Tensor forward(Tensor input) {
            values += input.size();
            if (values > maxValues) {
                throw Explain4jException.usage("spreadMaxValues", "spreadEvaluations: one row's perturbed rows hold over "
                        + maxValues + " values (spreadMaxValues), more than the driver is allowed to hold; raise "
                        + "spreadMaxValues, lower the method's budget, or explain without spreadEvaluations");
            }
            calls.add(input);
            rows += input.batchSize();
            return Tensor.zeros(DType.FLOAT32, input.batchSize(), outputs());
        }

        /** The model's number of outputs (running it once on the row when it does not declare them). */
        private int outputs() {
            if (outputs < 0) {
                int declared = model.signature().outputSize();
                if (declared >= 0) {
                    outputs = declared;
                } else {
                    Tensor out = ExecutorModels.onBigStack(() -> model.forward(row));
                    outputs = out.rank() == 1 ? 1 : out.exampleSize(); // as the evaluation engine reads it
                }
            }
            return outputs;
        }

        /** Every recorded row, in the order asked for. */
        Tensor recorded() {
            return Tensor.concat(calls);
        }

        @Override
        public ModelSignature signature() {
            return model.signature();
        }

        @Override
        public ModelInfo info() {
            return model.info();
        }
    }

    /**
     * A stand-in for the model that answers each call with the scored outputs of the rows
     * recorded, in order, after checking that the rows asked for are the recorded ones.
     */
    static final class Replayer implements Model {
        private final Recorder recorder;
        private final Tensor recorded;
        private final Tensor outputs;
        private final String method;
        private int at;

        Replayer(Recorder recorder, Tensor outputs, String method) {
            this.recorder = recorder;
            this.recorded = recorder.recorded();
            this.outputs = outputs;
            this.method = method;
        }

        @Override
        public Tensor forward(Tensor input) {
            int n = input.batchSize();
            if (at + n > recorded.batchSize() || !input.equals(recorded.slice(at, at + n))) {
                throw Explain4jException.unsupported("spreadEvaluations", method + " chose its model evaluations from "
                        + "the model's outputs, so they cannot be scored ahead; explain it without spreadEvaluations");
            }
            Tensor out = outputs.slice(at, at + n);
            at += n;
            return out;
        }

        /** Checks that every recorded row was asked for. */
        void finished() {
            if (at != recorded.batchSize()) {
                throw Explain4jException.unsupported("spreadEvaluations", method + " asked for " + at + " of the "
                        + recorded.batchSize() + " model evaluations it asked for before; explain it without "
                        + "spreadEvaluations");
            }
        }

        @Override
        public ModelSignature signature() {
            return recorder.signature();
        }

        @Override
        public ModelInfo info() {
            return recorder.info();
        }
    }
}
