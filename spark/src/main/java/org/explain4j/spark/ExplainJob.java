package org.explain4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.model.Model;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;

/**
 * Everything a task needs to explain its partition's rows, shipped with the task: the broadcast
 * model bytes and their SHA, the method and its parameters as text, where the input, target,
 * baseline and id sit in a row, the rows per method call, and what to do with a bad row. Rows are
 * explained {@code batchSize} at a time through the method (and so the evaluation engine), in
 * the partition's order; every row's result is the one the method gives for that row alone.
 */
final class ExplainJob implements Serializable {
    private static final long serialVersionUID = 1L;

    String modelSha;
    String modelName;
    Broadcast<byte[]> modelBytes;
    String inputName;
    String outputName;
    String method;
    LinkedHashMap<String, String> params;
    Broadcast<double[]> background;
    int[] backgroundShape;
    Layout input;
    Layout baseline;
    int targetIdx = -1;
    int target;
    int idIdx = -1;
    int batchSize;
    boolean diagnose;
    boolean withDiagnostics;
    boolean sameLayout;

    /** One decoded row waiting for its batch. */
    record Pending(Row row, long index, Layout.Decoded x, Layout.Decoded b, int target) {
    }

    /** Row {@code r}, the {@code index}-th of its partition, decoded. */
    Pending pending(Row r, long index) {
        return new Pending(r, index, input.decode(r), baseline == null ? null : baseline.decode(r), targetOf(r));
    }

    /** The output rows of one partition, produced lazily batch by batch. */
    Iterator<Row> run(Iterator<Row> rows) {
        int partition = TaskContext.get() == null ? 0 : TaskContext.get().partitionId();
        return new Iterator<>() {
            private final List<Row> ready = new ArrayList<>();
            private int next;
            private long index;

            @Override
            public boolean hasNext() {
                while (next >= ready.size()) {
                    if (!rows.hasNext()) {
                        return false;
                    }
                    ready.clear();
                    next = 0;
                    List<Pending> batch = new ArrayList<>();
                    while (rows.hasNext() && batch.size() < batchSize) {
                        batch.add(pending(rows.next(), index++));
                    }
                    ready.addAll(explain(batch, partition));
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.get(next++);
            }
        };
    }

    private int targetOf(Row r) {
        if (targetIdx < 0) {
            return target;
        }
        return r.isNullAt(targetIdx) ? Integer.MIN_VALUE : ((Number) r.get(targetIdx)).intValue();
    }

    OnnxDifferentiableModel model() {
        return ExecutorModels.model(modelSha, modelName, inputName, outputName, () -> modelBytes.value());
    }

    /** Explains a batch; rows that cannot be explained get an error (or fail the task, naming the row). */
    private List<Row> explain(List<Pending> batch, int partition) {
        Failure[] errors = new Failure[batch.size()];
        List<Integer> good = new ArrayList<>();
        int[] shape = null;
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            Failure err = check(p, shape);
            if (err == null) {
                shape = shape == null ? p.x.shape : shape;
                good.add(i);
            } else {
                errors[i] = err;
            }
        }
        double[][] values = new double[batch.size()][];
        double[] gaps = new double[batch.size()];
        Arrays.fill(gaps, Double.NaN);
        if (!good.isEmpty()) {
            try {
                attribute(batch, good, values, gaps);
            } catch (RuntimeException e) {
                if (good.size() == 1) {
                    errors[good.get(0)] = Failure.of(e);
                } else {
                    // find the row(s) at fault: every row alone gives the same result as in the batch
                    for (int i : good) {
                        try {
                            attribute(batch, List.of(i), values, gaps);
                        } catch (RuntimeException one) {
                            errors[i] = Failure.of(one);
                        }
                    }
                }
            }
        }
        List<Row> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            out.add(outputRow(batch.get(i), values[i], gaps[i], errors[i], partition));
        }
        return out;
    }

    /**
     * The output row of {@code p}: its cells, the attribution (null when {@code error} is set)
     * and the diagnostics; a row with an error fails the task unless errors are diagnosed.
     */
    Row outputRow(Pending p, double[] values, double gap, Failure error, int partition) {
        if (error != null && !diagnose) {
            throw new RowFailure(error.kind(), error.argument(), "row " + name(p, partition) + " cannot be explained: "
                    + error.message() + " (set onError to 'diagnose' to record such rows in diagnosticsCol and go on)");
        }
        Object attr = error != null ? null : input.encode(values, sameLayout ? p.x.shape : new int[0]);
        int n = p.row.length();
        Object[] cells = new Object[n + 1 + (withDiagnostics ? 1 : 0)];
        for (int c = 0; c < n; c++) {
            cells[c] = p.row.get(c);
        }
        cells[n] = attr;
        if (withDiagnostics) {
            cells[n + 1] = RowFactory.create(error == null ? null : error.message(), Double.isNaN(gap) ? null : gap);
        }
        return RowFactory.create(cells);
    }

    private String name(Pending p, int partition) {
        String id = idIdx >= 0 && !p.row.isNullAt(idIdx) ? String.valueOf(p.row.get(idIdx)) : null;
        return (id == null ? "" : "with id " + id + " (") + "partition " + partition + ", row " + p.index
                + (id == null ? "" : ")");
    }

    static String message(RuntimeException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replace('\n', ' ').replace('\r', ' ').trim();
    }

    /** Why a row cannot be explained: the message, and the kind and argument of the error. */
    record Failure(String message, ErrorKind kind, String argument) {
        static Failure of(RuntimeException e) {
            String m = ExplainJob.message(e);
            return e instanceof Explain4jException x ? new Failure(m, x.kind(), x.argument())
                    : new Failure(m, ErrorKind.INTERNAL, "inputCol");
        }
    }

    Failure check(Pending p, int[] shape) {
        if (p.x.error != null) {
            return new Failure(p.x.error, ErrorKind.USAGE, "inputCol");
        }
        try {
            exampleShape(model(), p.x);
        } catch (Explain4jException e) {
            return Failure.of(e);
        }
        if (shape != null && !Arrays.equals(shape, p.x.shape)) {
            return new Failure("has shape " + Tensor.shapeString(p.x.shape) + " where the other rows have "
                    + Tensor.shapeString(shape), ErrorKind.SHAPE, "inputCol");
        }
        for (double v : p.x.values) {
            if (!Double.isFinite(v)) {
                return new Failure("holds a non-finite value (" + v + ")", ErrorKind.NON_FINITE, "inputCol");
            }
        }
        if (p.target == Integer.MIN_VALUE) {
            return new Failure("targetCol is null", ErrorKind.TARGET, "targetCol");
        }
        if (p.b != null) {
            if (p.b.error != null) {
                return new Failure("baselineCol: " + p.b.error, ErrorKind.USAGE, "baselineCol");
            }
            if (p.b.values.length != p.x.values.length) {
                return new Failure("baselineCol has " + p.b.values.length + " values but the input " + p.x.values.length,
                        ErrorKind.SHAPE, "baselineCol");
            }
        }
        return null;
    }

    /** Runs the method on rows {@code which} of the batch, writing their values and completeness gaps. */
    private void attribute(List<Pending> batch, List<Integer> which, double[][] values, double[] gaps) {
        ExecutorModels.onBigStack(() -> {
            attributeWith(model(), true, batch, which, values, gaps);
            return null;
        });
    }

    /**
     * Runs the method on {@code model} for rows {@code which} of the batch, writing their values
     * and completeness gaps; {@code cached}: the method is made once per JVM (for the executor's
     * model; not for the stand-ins of {@link SpreadEvaluations}).
     */
    void attributeWith(Model model, boolean cached, List<Pending> batch, List<Integer> which, double[][] values,
                       double[] gaps) {
        int[] shape = exampleShape(model, batch.get(which.get(0)).x);
        int d = (int) Tensor.sizeOf(shape);
        int n = which.size();
        Tensor x = tensor(model, which, batch, shape, d, false);
        int[] targets = new int[n];
        for (int k = 0; k < n; k++) {
            targets[k] = batch.get(which.get(k)).target;
        }
        boolean same = Arrays.stream(targets).allMatch(t -> t == targets[0]);
        Target t = same ? Target.classIndex(targets[0]) : Target.of(targets);
        AttributionMethod m;
        MethodSpec spec = MethodCatalog.get(method);
        if (baseline != null) {
            Baseline b = Baseline.of(tensor(model, which, batch, shape, d, true));
            m = spec.create(model, MethodParams.bind(spec, params, b, shape), ProgressListener.NONE);
        } else if (!cached) {
            m = spec.create(model, MethodParams.bind(spec, params, backgroundBaseline(model, shape), shape),
                    ProgressListener.NONE);
        } else {
            String key = modelSha + "|" + inputName + "|" + outputName + "|" + method + "|" + params + "|"
                    + Arrays.toString(shape) + "|" + (background == null ? "" : background.id());
            m = ExecutorModels.method(key, () -> spec.create(model, MethodParams.bind(spec, params, backgroundBaseline(model, shape),
                    shape), ProgressListener.NONE));
        }
        Attribution a = m.attribute(x, t);
        Tensor v = a.values();
        int e = v.exampleSize();
        double[] all = v.toDoubleArray();
        double[] gap = a.diagnostics().completenessGap().orElse(null);
        for (int k = 0; k < n; k++) {
            values[which.get(k)] = Arrays.copyOfRange(all, k * e, (k + 1) * e);
            gaps[which.get(k)] = gap == null ? Double.NaN : gap[k];
        }
    }

    private Baseline backgroundBaseline(Model model, int[] shape) {
        if (background == null) {
            return null;
        }
        double[] v = background.value();
        int d = (int) Tensor.sizeOf(shape);
        if (v.length % d != 0) {
            throw Explain4jException.shape("background", "background rows have " + backgroundShape[1] + " values but an "
                    + "example has " + d + "; give reference rows in the input's layout");
        }
        int k = v.length / d;
        int[] s = new int[shape.length + 1];
        s[0] = k;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return Baseline.distribution(make(model.signature().inputType(), v, s));
    }

    /** The example shape the model takes for a row: the row's own, or the model's when the row is flat and sizes agree. */
    static int[] exampleShape(Model model, Layout.Decoded row) {
        int[] declared = model.signature().exampleShape();
        if (fits(declared, row.shape)) {
            return row.shape;
        }
        boolean open = Arrays.stream(declared).anyMatch(v -> v < 0);
        if (!open && Tensor.sizeOf(declared) == row.values.length) {
            return declared;
        }
        throw Explain4jException.shape("inputCol", "the row has shape " + Tensor.shapeString(row.shape) + " but the model "
                + "takes examples of shape " + Tensor.shapeString(declared) + "; give rows of that shape (or that many values)");
    }

    private static boolean fits(int[] declared, int[] shape) {
        if (declared.length != shape.length) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (declared[i] >= 0 && declared[i] != shape[i]) {
                return false;
            }
        }
        return true;
    }

    private static Tensor tensor(Model model, List<Integer> which, List<Pending> batch, int[] shape, int d,
                                 boolean baselines) {
        int n = which.size();
        double[] all = new double[n * d];
        for (int k = 0; k < n; k++) {
            Pending p = batch.get(which.get(k));
            System.arraycopy(baselines ? p.b.values : p.x.values, 0, all, k * d, d);
        }
        int[] s = new int[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return make(model.signature().inputType(), all, s);
    }

    /** A tensor of the model's input type (float32 values are exact when the column held floats). */
    static Tensor make(DType type, double[] v, int[] shape) {
        if (type == DType.FLOAT64) {
            return Tensor.ofDoubles(v, shape);
        }
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        Tensor t = Tensor.ofFloats(f, shape);
        return type == DType.FLOAT32 ? t : t.to(type);
    }

    /** Scores one piece of recorded rows with this JVM's model (see {@link SpreadEvaluations}). */
    SpreadEvaluations.Piece score(SpreadEvaluations.Piece p) {
        OnnxDifferentiableModel m = model();
        Tensor out = ExecutorModels.onBigStack(() -> m.forward(p.block().tensor()));
        return new SpreadEvaluations.Piece(p.spread(), p.from(), p.rows(), SpreadEvaluations.Block.of(out));
    }

    Map<String, String> params() {
        return params;
    }
}
