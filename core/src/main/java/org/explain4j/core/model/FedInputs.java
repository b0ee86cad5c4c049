package org.explain4j.core.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * The inputs of a model that are fed as given while another input is explained: an attention
 * mask or token types beside token ids, a recurrent state, a sample rate.
 *
 * <p>Each fed input keeps its own layout. Its batch axis is the dimension the model names like
 * the explained input's batch dimension (e.g. {@code batch} in Silero's {@code state} of shape
 * {@code (2, batch, 128)}); an input without one (a scalar sample rate) is fed as is. Along its
 * batch axis a fed input has one slice per example, or one slice shared by all examples; when a
 * method batches path points, noise samples or perturbations, each row gets the slice of its
 * example. Where the model does not name its dimensions, {@link #withBatchAxis} says it.
 */
public final class FedInputs {
    /** The batch axis of an input that is fed as is, whatever the batch. */
    public static final int AS_IS = -1;

    private static final FedInputs NONE = new FedInputs(Map.of(), Map.of(), null, 0);

    private final Map<String, Tensor> values;
    private final Map<String, Integer> axes;
    private final int[] examples;
    private final int originalBatch;

    private FedInputs(Map<String, Tensor> values, Map<String, Integer> axes, int[] examples, int originalBatch) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.axes = Collections.unmodifiableMap(new LinkedHashMap<>(axes));
        this.examples = examples;
        this.originalBatch = originalBatch;
    }

    /** No fed inputs (a model with a single input). */
    public static FedInputs none() {
        return NONE;
    }

    /** The given tensors by input name, batch axes from the model's declared shapes. */
    public static FedInputs of(Map<String, Tensor> values) {
        values.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("fed input names and tensors must not be null");
            }
        });
        return new FedInputs(values, Map.of(), null, 0);
    }

    /**
     * These inputs for a new batch built from a batch of {@code originalBatch} examples, whose
     * example {@code i} is example {@code examples[i]} of the original (e.g. SmoothGrad's stacked
     * noisy copies): each input with a batch axis gets the slices of those examples.
     */
    public FedInputs forExamples(int[] examples, int originalBatch) {
        int[] e = examples.clone();
        if (this.examples != null) {
            for (int i = 0; i < e.length; i++) {
                e[i] = this.examples[e[i]];
            }
        }
        return new FedInputs(values, axes, e, this.examples != null ? this.originalBatch : originalBatch);
    }

    /** The same inputs with {@code name}'s batch axis set ({@link #AS_IS}: fed as is). */
    public FedInputs withBatchAxis(String name, int axis) {
        if (axis < AS_IS) {
            throw Explain4jException.usage("batch-axis", "batch-axis of '" + name + "' must be " + AS_IS
                    + " (fed as is) or a dimension index (got " + axis + ")");
        }
        Map<String, Integer> a = new LinkedHashMap<>(axes);
        a.put(name, axis);
        return new FedInputs(values, a, examples, originalBatch);
    }

    /** The tensors by input name, in the order given. */
    public Map<String, Tensor> values() {
        return values;
    }

    /** The batch axes set explicitly. */
    public Map<String, Integer> batchAxes() {
        return axes;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /**
     * Checks these inputs against the model's signature for a batch of {@code n} examples of the
     * explained input, and fixes each one's batch axis.
     *
     * @param argument the name under which the user passes inputs, for error messages
     */
    public Bound bind(ModelSignature signature, int batch, String argument) {
        if (examples != null && examples.length != batch) {
            throw new IllegalStateException("fed inputs for " + examples.length + " examples bound to a batch of " + batch);
        }
        int n = examples != null ? originalBatch : batch;
        Map<String, Integer> resolved = new LinkedHashMap<>();
        for (String name : values.keySet()) {
            if (name.equals(signature.inputName())) {
                throw Explain4jException.usage(argument, "the input '" + name + "' is the explained input and cannot "
                        + "also be fed; feed only the model's other inputs " + signature.fedInputNames());
            }
            if (signature.input(name).isEmpty()) {
                throw Explain4jException.usage(argument, "the model has no input named '" + name + "'; its inputs are "
                        + signature.inputs().stream().map(InputSpec::name).toList());
            }
        }
        for (String name : axes.keySet()) {
            if (!values.containsKey(name)) {
                throw Explain4jException.usage("batch-axis", "batch-axis names '" + name + "', which is not a fed input; "
                        + "fed inputs are " + List.copyOf(values.keySet()));
            }
        }
        InputSpec explained = signature.explained();
        for (InputSpec spec : signature.inputs()) {
            if (spec.name().equals(signature.inputName())) {
                continue;
            }
            Tensor t = values.get(spec.name());
            if (t == null) {
                throw Explain4jException.usage(argument, "the model's input '" + spec.name() + "' " + spec.describe()
                        + " is not given; feed it (--input " + spec.name() + "=FILE)");
            }
            resolved.put(spec.name(), check(spec, explained, t, n, argument));
        }
        Bound bound = new Bound(values, resolved, n);
        return examples == null ? bound : new Bound(bound.select(examples), resolved, batch);
    }

    private int check(InputSpec spec, InputSpec explained, Tensor t, int n, String argument) {
        String what = "the fed input '" + spec.name() + "'";
        // float32 and float64 are interchangeable, and int32 widens to int64
        boolean typeOk = t.dtype() == spec.type() || (t.dtype().isFloating() && spec.type().isFloating())
                || (t.dtype() == DType.INT32 && spec.type() == DType.INT64);
        if (!typeOk) {
            throw Explain4jException.dtype(argument, what + " is " + t.dtype().label() + " but the model takes "
                    + spec.describe() + "; save it as " + spec.type().label());
        }
        if (t.dtype().isFloating()) {
            t.requireFinite(argument);
        }
        int[] declared = spec.shape();
        int[] s = t.shape();
        if (s.length != declared.length) {
            throw Explain4jException.shape(argument, what + " has shape " + Tensor.shapeString(s) + " but the model takes "
                    + spec.describe() + "; pass a tensor of rank " + declared.length);
        }
        int axis = batchAxis(spec, explained, t, n, argument);
        for (int i = 0; i < s.length; i++) {
            if (i == axis) {
                if (s[i] != n && s[i] != 1) {
                    throw Explain4jException.shape(argument, what + " has " + s[i] + " slices along its batch axis "
                            + i + " but the explained input has " + n + " examples; pass " + n
                            + " (one per example) or 1 (shared by all)");
                }
            } else if (declared[i] >= 0 && s[i] != declared[i]) {
                throw Explain4jException.shape(argument, what + " has shape " + Tensor.shapeString(s)
                        + " but the model takes " + spec.describe() + "; dimension " + i + " must be " + declared[i]);
            }
        }
        return axis;
    }

    private int batchAxis(InputSpec spec, InputSpec explained, Tensor t, int n, String argument) {
        Integer explicit = axes.get(spec.name());
        if (explicit != null) {
            if (explicit >= spec.rank()) {
                throw Explain4jException.usage("batch-axis", "batch-axis of '" + spec.name() + "' is " + explicit
                        + " but that input has rank " + spec.rank());
            }
            return explicit;
        }
        int[] declared = spec.shape();
        if (explained.rank() == 0 || declared.length == 0) {
            return AS_IS;
        }
        String batch = explained.dimNames().get(0);
        int fixed = explained.shape()[0];
        if (!batch.isEmpty()) {
            int found = AS_IS;
            for (int i = 0; i < declared.length; i++) {
                if (batch.equals(spec.dimNames().get(i))) {
                    if (found != AS_IS) {
                        throw ambiguous(spec, argument);
                    }
                    found = i;
                }
            }
            return found;
        }
        if (fixed >= 0) {
            // a model exported with a fixed batch: a fed input whose first dimension is fixed the same way
            return declared[0] == fixed && (t.shape()[0] == n || t.shape()[0] == 1) ? 0 : AS_IS;
        }
        for (int i = 0; i < declared.length; i++) {
            if (declared[i] < 0 && spec.dimNames().get(i).isEmpty()) {
                throw ambiguous(spec, argument);
            }
        }
        return AS_IS;
    }

    private static Explain4jException ambiguous(InputSpec spec, String argument) {
        return Explain4jException.usage(argument, "cannot tell the batch axis of the fed input '" + spec.name() + "' "
                + spec.describe() + " from the model's declared shapes; set it (--batch-axis " + spec.name()
                + "=K, or " + spec.name() + "=none to feed it as is)");
    }

    /** Fed inputs checked against a model for a batch of {@code n} examples, each with its batch axis. */
    public static final class Bound {
        private final Map<String, Tensor> values;
        private final Map<String, Integer> axes;
        private final int n;

        private Bound(Map<String, Tensor> values, Map<String, Integer> axes, int n) {
            this.values = values;
            this.axes = Collections.unmodifiableMap(axes);
            this.n = n;
        }

        /** Nothing fed. */
        public static Bound none(int n) {
            return new Bound(Map.of(), Map.of(), n);
        }

        public boolean isEmpty() {
            return values.isEmpty();
        }

        /**
         * The row-to-example map for callers that do not say which example a row belongs to:
         * valid only when every example is fed the same (nothing fed per example).
         */
        public IntUnaryOperator shared() {
            for (Map.Entry<String, Integer> e : axes.entrySet()) {
                if (e.getValue() != AS_IS && values.get(e.getKey()).dim(e.getValue()) > 1) {
                    throw new IllegalStateException("the fed input '" + e.getKey() + "' differs per example; this "
                            + "caller must say which example each row belongs to");
                }
            }
            return r -> 0;
        }

        /** Each fed input's batch axis ({@link #AS_IS} where it has none). */
        public Map<String, Integer> axes() {
            return axes;
        }

        /**
         * The fed tensors for a model call on rows {@code from .. from + m - 1}, row {@code r}
         * belonging to example {@code exampleOfRow(r)}: each input with a batch axis gets that
         * example's slice (or its one shared slice) per row; the others as given.
         */
        public Map<String, Tensor> rows(int from, int m, IntUnaryOperator exampleOfRow) {
            if (values.isEmpty()) {
                return Map.of();
            }
            int[] index = new int[m];
            for (int i = 0; i < m; i++) {
                index[i] = exampleOfRow.applyAsInt(from + i);
                if (index[i] < 0 || index[i] >= n) {
                    throw new IllegalStateException("row " + (from + i) + " maps to example " + index[i] + " of " + n);
                }
            }
            return select(index);
        }

        /** The fed tensors for rows that are the examples {@code examples} (indices into the batch). */
        public Map<String, Tensor> select(int[] examples) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : values.entrySet()) {
                int axis = axes.get(e.getKey());
                Tensor t = e.getValue();
                if (axis == AS_IS) {
                    out.put(e.getKey(), t);
                    continue;
                }
                int[] idx = examples;
                if (t.dim(axis) == 1) {
                    idx = new int[examples.length];
                } else if (isIdentity(examples, t.dim(axis))) {
                    out.put(e.getKey(), t);
                    continue;
                }
                out.put(e.getKey(), gather(t, axis, idx));
            }
            return out;
        }

        private static boolean isIdentity(int[] idx, int size) {
            if (idx.length != size) {
                return false;
            }
            for (int i = 0; i < idx.length; i++) {
                if (idx[i] != i) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The slices {@code index} of {@code t} along {@code axis}, in that order. */
    static Tensor gather(Tensor t, int axis, int[] index) {
        int[] shape = t.shape();
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int dim = shape[axis];
        int[] out = shape.clone();
        out[axis] = index.length;
        int size = outer * index.length * inner;
        if (!t.dtype().isFloating()) {
            long[] src = t.toLongArray();
            long[] dst = new long[size];
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < index.length; j++) {
                    System.arraycopy(src, (o * dim + index[j]) * inner, dst, (o * index.length + j) * inner, inner);
                }
            }
            return t.dtype() == DType.INT32 ? Tensor.ofInt32(dst, out) : Tensor.ofLongs(dst, out);
        }
        if (t.dtype() == DType.FLOAT64) {
            double[] src = t.toDoubleArray();
            double[] dst = new double[size];
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < index.length; j++) {
                    System.arraycopy(src, (o * dim + index[j]) * inner, dst, (o * index.length + j) * inner, inner);
                }
            }
            return Tensor.ofDoubles(dst, out);
        }
        float[] src = t.toFloatArray();
        float[] dst = new float[size];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < index.length; j++) {
                System.arraycopy(src, (o * dim + index[j]) * inner, dst, (o * index.length + j) * inner, inner);
            }
        }
        return Tensor.ofFloats(dst, out);
    }
}
