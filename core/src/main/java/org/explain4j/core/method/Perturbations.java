package org.explain4j.core.method;

import org.explain4j.core.engine.EvaluationEngine;

/**
 * Evaluates perturbed copies of the examples of a batch through the engine and reduces each
 * model output to the explained value at once, so memory stays flat. A perturbation replaces
 * a set of elements of one example by a reference: each of the baseline's rows (the values are
 * then averaged over the rows) or one given source row.
 */
final class Perturbations {
    /** A set of element indices of one example, enumerated on demand. */
    @FunctionalInterface
    interface ElementSet {
        void forEach(java.util.function.IntConsumer action);

        /**
         * Sets each element {@code e} of the set to {@code ref[e]} rounded to float32 in the row that
         * starts at {@code dest[off]}. The default goes through {@link #forEach}; the sets below
         * write in plain loops.
         */
        default void write(float[] dest, int off, double[] ref) {
            forEach(e -> dest[off + e] = (float) ref[e]);
        }

        /** How many elements the set holds. */
        default int size() {
            int[] n = {0};
            forEach(e -> n[0]++);
            return n[0];
        }

        /**
         * Adds to {@code h} the change of a dense layer's pre-activation when each element {@code e}
         * of the set goes from {@code x[e]} to {@code ref[e]} rounded to float32:
         * {@code h += w[e] * ((float) ref[e] - x[e])}, {@code w[e]} the weights of element
         * {@code e}, in the set's order (elements that do not change add nothing).
         */
        default void accumulate(double[] h, double[][] w, float[] x, double[] ref) {
            forEach(e -> addRow(h, w[e], (double) (float) ref[e] - x[e]));
        }

        /** The elements of the given features. */
        static ElementSet ofFeatures(int[][] members, int... features) {
            return new Features(members, features, 0);
        }

        /** The elements of the features {@code order[from..]} (a permutation's absent tail). */
        static ElementSet ofTail(int[][] members, int[] order, int from) {
            return new Features(members, order, from);
        }
    }

    /**
     * {@code h += we * delta} (one element's weights {@code we}, as long as {@code h}); nothing when
     * {@code delta} is 0. Both arrays start at 0, which lets the JIT vectorise the loop.
     */
    static void addRow(double[] h, double[] we, double delta) {
        if (delta == 0) {
            return;
        }
        for (int k = 0; k < h.length; k++) {
            h[k] += we[k] * delta;
        }
    }

    /**
     * {@code h = a + we * delta} (arrays as long as {@code h}): the same operations as copying {@code a}
     * into {@code h} and {@link #addRow}, in one pass; a small method of its own so that the JIT
     * vectorises it (inside the row loop it did not).
     */
    static void sumRow(double[] h, double[] a, double[] we, double delta) {
        sumRowAt(h, 0, a, we, delta);
    }

    /** {@link #sumRow} into {@code h} from {@code off} on: {@code h[off + k] = a[k] + we[k] * delta}. */
    static void sumRowAt(double[] h, int off, double[] a, double[] we, double delta) {
        for (int k = 0; k < a.length; k++) {
            h[off + k] = a[k] + we[k] * delta;
        }
    }

    /** The elements of {@code features[from..]}. */
    private record Features(int[][] members, int[] features, int from) implements ElementSet {
        @Override
        public int size() {
            int n = 0;
            for (int k = from; k < features.length; k++) {
                n += members[features[k]].length;
            }
            return n;
        }

        @Override
        public void accumulate(double[] h, double[][] w, float[] x, double[] ref) {
            for (int k = from; k < features.length; k++) {
                for (int e : members[features[k]]) {
                    addRow(h, w[e], (double) (float) ref[e] - x[e]);
                }
            }
        }

        @Override
        public void forEach(java.util.function.IntConsumer action) {
            for (int k = from; k < features.length; k++) {
                for (int e : members[features[k]]) {
                    action.accept(e);
                }
            }
        }

        @Override
        public void write(float[] dest, int off, double[] ref) {
            for (int k = from; k < features.length; k++) {
                for (int e : members[features[k]]) {
                    dest[off + e] = (float) ref[e];
                }
            }
        }
    }

    /** The elements of the features absent from a coalition. */
    private record Absent(int[][] members, boolean[] present) implements ElementSet {
        @Override
        public int size() {
            int n = 0;
            for (int f = 0; f < members.length; f++) {
                if (!present[f]) {
                    n += members[f].length;
                }
            }
            return n;
        }

        @Override
        public void accumulate(double[] h, double[][] w, float[] x, double[] ref) {
            for (int f = 0; f < members.length; f++) {
                if (!present[f]) {
                    for (int e : members[f]) {
                        addRow(h, w[e], (double) (float) ref[e] - x[e]);
                    }
                }
            }
        }

        @Override
        public void forEach(java.util.function.IntConsumer action) {
            for (int f = 0; f < members.length; f++) {
                if (!present[f]) {
                    for (int e : members[f]) {
                        action.accept(e);
                    }
                }
            }
        }

        @Override
        public void write(float[] dest, int off, double[] ref) {
            for (int f = 0; f < members.length; f++) {
                if (!present[f]) {
                    for (int e : members[f]) {
                        dest[off + e] = (float) ref[e];
                    }
                }
            }
        }
    }

    /** The elements of the features that are absent from a coalition ({@code present[f]} false). */
    static ElementSet absent(int[][] members, boolean[] present) {
        return new Absent(members, present);
    }

    /** The elements of each feature of a grouping: {@code members[f]} lists feature f's elements. */
    static int[][] members(org.explain4j.core.FeatureMask.Groups g) {
        int[] counts = new int[g.count()];
        int d = g.groupOf().length;
        for (int e = 0; e < d; e++) {
            counts[g.group(e)]++;
        }
        int[][] m = new int[g.count()][];
        for (int f = 0; f < m.length; f++) {
            m[f] = new int[counts[f]];
        }
        int[] at = new int[g.count()];
        for (int e = 0; e < d; e++) {
            int f = g.group(e);
            m[f][at[f]++] = e;
        }
        return m;
    }

    private final MethodRun run;
    /** The examples' rows in double, made on first use (the float32 paths never need them). */
    private double[][] inputRows;
    private float[][] inputRows32;
    private final double[][][] baselineRows;
    // the queued jobs, in arrays (a method may queue millions)
    private int count;
    private int[] jobExample = new int[16];
    /** Each job's replaced set, as an index into {@link #sets} (ints: no reference per job for the collector to scan). */
    private int[] jobSet = new int[16];
    private double[][] jobSource = new double[16][];
    /** Whether any queued job has a source row (else {@link #jobSource} holds only nulls and is not cleared). */
    private boolean anySource;
    /**
     * The queued jobs' sets, each registered once: an array given to {@link #add(int, ElementSet[])} again
     * (the same object, e.g. one grouping's ablations or a permutation's steps for every example) reuses its
     * entries, so the queue stores one int per job.
     */
    private ElementSet[] sets = new ElementSet[16];
    private int setCount;
    /** Entry {@code i} continues entry {@code i - 1} as a permutation's next step ({@link #continues}). */
    private boolean[] setLink = new boolean[16];
    /** Entry {@code i}'s element count, -1 until asked ({@link #densePays}). */
    private int[] setSize = new int[16];
    /** The array last registered by {@link #add(int, ElementSet[])} and its first entry. */
    private ElementSet[] lastSets;
    private int lastSetsAt;
    private boolean incremental;

    Perturbations(MethodRun run, double[][][] baselineRows) {
        this.run = run;
        this.baselineRows = baselineRows;
    }

    /**
     * Lets {@link #run} evaluate through the model's incremental inference where the model offers
     * it: a dense first layer over the input ({@link org.explain4j.core.model.DenseInput}: each row's
     * pre-activation updated by its changed elements only, where that pays: {@link #densePays}), else for inputs of rank 3 and more {@link org.explain4j.core.model.LocalEvaluation}
     * (each perturbation recomputes only what its changed box reaches). Off by default.
     */
    Perturbations incremental(boolean on) {
        this.incremental = on;
        return this;
    }

    /** Example {@code n}'s values, flattened (shared; do not modify). */
    double[] inputRow(int n) {
        return inputRows()[n];
    }

    private double[][] inputRows() {
        if (inputRows == null) {
            inputRows = InputGradients.rows(run.input());
        }
        return inputRows;
    }

    /** Queues example {@code n} with {@code replaced} set to the baseline; returns the job's index. */
    int add(int n, ElementSet replaced) {
        return add(n, replaced, null);
    }

    /** Queues example {@code n} with {@code replaced} taken from {@code source}; returns the job's index. */
    int add(int n, ElementSet replaced, double[] source) {
        room(count + 1);
        jobExample[count] = n;
        jobSet[count] = register(replaced);
        if (source != null) {
            jobSource[count] = source;
            anySource = true;
        }
        return count++;
    }

    /** Job {@code j}'s replaced set (package-private for tests). */
    ElementSet set(int j) {
        return sets[jobSet[j]];
    }

    /** Registers one set; returns its entry. */
    private int register(ElementSet set) {
        if (setCount == sets.length) {
            int grown = setCount + (setCount >> 1) + 16;
            sets = java.util.Arrays.copyOf(sets, grown);
            setLink = java.util.Arrays.copyOf(setLink, grown);
            setSize = java.util.Arrays.copyOf(setSize, grown);
        }
        sets[setCount] = set;
        setLink[setCount] = setCount > 0 && continues(set, sets[setCount - 1]);
        setSize[setCount] = -1;
        return setCount++;
    }

    /**
     * Whether {@code next} is the step after {@code previous} in a permutation: the same feature order with one
     * more feature restored from the input.
     */
    private static boolean continues(ElementSet next, ElementSet previous) {
        return next instanceof Features f && previous instanceof Features p && f.members == p.members
                && f.features == p.features && f.from == p.from + 1;
    }

    /**
     * Queues example {@code n} once for each of {@code sets}, in order, with the set replaced by the
     * baseline (a permutation's steps); returns the first job's index.
     */
    int add(int n, ElementSet[] sets) {
        int need = count + sets.length;
        room(need);
        int first = count;
        java.util.Arrays.fill(jobExample, first, need, n);
        if (!sameAsLast(sets)) {
            lastSetsAt = setCount;
            for (ElementSet s : sets) {
                register(s);
            }
            lastSets = sets;
        }
        for (int k = 0; k < sets.length; k++) {
            jobSet[first + k] = lastSetsAt + k;
        }
        count = need;
        return first;
    }

    /**
     * Whether {@code sets} is the array registered last and still holds the same sets (compared by identity,
     * so an array a caller refills between two calls is registered again, never served stale entries).
     */
    private boolean sameAsLast(ElementSet[] sets) {
        if (sets != lastSets) {
            return false;
        }
        for (int k = 0; k < sets.length; k++) {
            if (sets[k] != this.sets[lastSetsAt + k]) {
                return false;
            }
        }
        return true;
    }

    /** Grows the job arrays to hold at least {@code need} jobs (by half their length at least). */
    private void room(int need) {
        if (need > jobExample.length) {
            int grown = Math.max(need, Math.max(16, count + (count >> 1)));
            jobExample = java.util.Arrays.copyOf(jobExample, grown);
            jobSet = java.util.Arrays.copyOf(jobSet, grown);
            jobSource = java.util.Arrays.copyOf(jobSource, grown);
        }
    }

    /** The rows a job of example {@code n} without a source row takes (its baseline's rows). */
    int rowsPerJob(int n) {
        return baselineRows[n].length;
    }

    /** One progress bar over several {@link #run} calls until closed. */
    EvaluationEngine.ProgressScope progressScope(String task, long totalRows) {
        return run.engine().progressScope(task, totalRows);
    }

    /** Jobs queued and not yet run. */
    int queued() {
        return count;
    }

    /** Each job's box over the last two dimensions: {@code [job][0]} the lowest row and column, {@code [job][1]} one past the highest. */
    private int[][][] boxes(int[] shape) {
        int h = shape[shape.length - 2];
        int w = shape[shape.length - 1];
        int[][][] box = new int[count][][];
        for (int j = 0; j < box.length; j++) {
            int[] b = {Integer.MAX_VALUE, Integer.MAX_VALUE, -1, -1};
            set(j).forEach(e -> {
                int x = e % w;
                int y = (e / w) % h;
                b[0] = Math.min(b[0], y);
                b[1] = Math.min(b[1], x);
                b[2] = Math.max(b[2], y);
                b[3] = Math.max(b[3], x);
            });
            if (b[2] < 0) {
                // nothing replaced: any one position stands for the (unchanged) row
                box[j] = new int[][] {{0, 0}, {1, 1}};
            } else {
                box[j] = new int[][] {{b[0], b[1]}, {b[2] + 1, b[3] + 1}};
            }
        }
        return box;
    }

    /** Runs every queued job; returns the explained value of each (averaged over baseline rows) and clears the queue. */
    double[] run(String task) {
        int count = this.count;
        // rows per job: 1 with a source row, else one per baseline row of its example
        boolean oneRowEach = true;
        for (int j = 0; j < count && oneRowEach; j++) {
            oneRowEach = jobSource[j] != null || baselineRows[jobExample[j]].length == 1;
        }
        int[] firstRow;
        int[] jobOfRow;
        int rows;
        if (oneRowEach) {
            firstRow = null;
            jobOfRow = null;
            rows = count;
        } else {
            firstRow = new int[count + 1];
            for (int j = 0; j < count; j++) {
                firstRow[j + 1] = firstRow[j] + (jobSource[j] != null ? 1 : baselineRows[jobExample[j]].length);
            }
            rows = firstRow[count];
            jobOfRow = new int[rows];
            for (int j = 0; j < count; j++) {
                for (int r = firstRow[j]; r < firstRow[j + 1]; r++) {
                    jobOfRow[r] = j;
                }
            }
        }
        double[] values = new double[count];
        int[] shape = run.input().exampleShape();
        int[] example = jobExample;
        java.util.function.IntUnaryOperator exampleOfRow = jobOfRow == null ? row -> example[row]
                : row -> example[jobOfRow[row]];
        Rows rowsOf = new Rows(jobOfRow, firstRow, values);
        boolean done = false;
        org.explain4j.core.model.DenseInput.Layer layer = incremental && run.fed().isEmpty() && count > 0
                ? run.engine().denseInput() : null;
        if (layer != null && layer.inputs() == run.input().exampleSize()) {
            boolean[] chained = chained(count);
            // the layer's session is made only now that the path is taken (refused: whole passes)
            if (densePays(count, chained, layer) && layer.open()) {
                run.engine().evaluateDense(task, rows, layer, exampleOfRow, rowsOf.new Dense(layer, chained), rowsOf);
                done = true;
            }
        }
        if (!done && incremental && shape.length >= 3 && run.fed().isEmpty()) {
            int[][][] box = boxes(shape);
            int[][] lo = new int[rows][];
            int[][] hi = new int[rows][];
            for (int r = 0; r < rows; r++) {
                lo[r] = box[rowsOf.job(r)][0];
                hi[r] = box[rowsOf.job(r)][1];
            }
            done = run.engine().evaluateLocal(task, rows, shape, exampleOfRow, this::inputRow, lo, hi, rowsOf,
                    rowsOf);
        }
        if (!done) {
            run.engine().evaluate(task, rows, shape, exampleOfRow, rowsOf, rowsOf);
        }
        if (!oneRowEach) {
            for (int j = 0; j < count; j++) {
                values[j] /= firstRow[j + 1] - firstRow[j];
            }
        }
        java.util.Arrays.fill(sets, 0, setCount, null);
        setCount = 0;
        lastSets = null;
        if (anySource) {
            java.util.Arrays.fill(jobSource, 0, count, null);
            anySource = false;
        }
        this.count = 0;
        return values;
    }

    /**
     * Which jobs continue the job before them as the next step of a permutation: the same example
     * and reference rows, the same feature order with one more feature restored from the input.
     */
    boolean[] chained(int count) {
        boolean[] c = new boolean[count];
        for (int j = 1; j < count; j++) {
            int s = jobSet[j];
            int r = jobSet[j - 1];
            // entries registered one after the other carry the test's answer; others are tested
            c[j] = jobExample[j] == jobExample[j - 1] && (s == r + 1 ? setLink[s] : continues(sets[s], sets[r]))
                    && jobSource[j] == null && jobSource[j - 1] == null;
        }
        return c;
    }

    /**
     * Whether the dense path ({@link Rows.Dense}) pays for these jobs. Per row it costs about
     * {@code 2 c w + w} multiply-adds' worth of Java work ({@code c} elements changed on average, one
     * feature for a permutation's next step; the update runs in double, half the width of ONNX
     * Runtime's float32 kernels, plus the row's hand-over) in place of the layer's {@code d w}. It pays
     * when that saves at least a quarter of the whole model's multiply-adds
     * ({@code d w + } {@link org.explain4j.core.model.DenseInput.Layer#restMultiplyAdds}): below that,
     * the per-row bookkeeping eats the gain (measured: the golden tabular MLP, 10 -> 32 -> 16 -> 3, saves
     * about 15% and ran slower on the dense path; tabular50, 50 -> 64 -> 32 -> 3, saves 56% and ran
     * 1.3-1.7x faster; docs/NOTES.md "Sampling methods, fourth round"). A model that does not report
     * its rest keeps the earlier rule, {@code c <= d / 2}. The system property
     * {@code explain4j.incremental.dense=always} takes the path whenever {@code c <= d / 2} (tests that
     * check the path on small models).
     */
    static boolean densePays(double changedPerRow, int d, int width, long rest) {
        if (rest < 0 || "always".equals(System.getProperty("explain4j.incremental.dense"))) {
            return 2 * changedPerRow <= d;
        }
        double layer = (double) d * width;
        double saved = layer - (2 * changedPerRow * width + width);
        return saved >= 0.25 * (layer + rest);
    }

    /** {@link #densePays(double, int, int, long)} for the queued jobs. */
    private boolean densePays(int count, boolean[] chained, org.explain4j.core.model.DenseInput.Layer layer) {
        return densePays(changedPerRow(count, chained), layer.inputs(), layer.width(), layer.restMultiplyAdds());
    }

    /**
     * The elements a row's pre-activation update changes, on average over the queued jobs: a chained job's
     * one restored feature, else its whole set.
     */
    double changedPerRow(int count, boolean[] chained) {
        long changed = 0;
        for (int j = 0; j < count; j++) {
            if (chained[j] && set(j - 1) instanceof Features p) {
                changed += p.members[p.features[p.from]].length;
            } else {
                int s = jobSet[j];
                if (setSize[s] < 0) {
                    setSize[s] = sets[s].size();
                }
                changed += setSize[s];
            }
        }
        return (double) changed / count;
    }

    /** Each row's input (filler) and explained value (consumer) for the queued jobs. */
    private final class Rows implements EvaluationEngine.RowFiller, EvaluationEngine.OutputConsumer {
        private final int[] jobOfRow;
        private final int[] firstRow;
        private final double[] values;

        Rows(int[] jobOfRow, int[] firstRow, double[] values) {
            this.jobOfRow = jobOfRow;
            this.firstRow = firstRow;
            this.values = values;
        }

        int job(int row) {
            return jobOfRow == null ? row : jobOfRow[row];
        }

        private double[] reference(int row, int job) {
            double[] source = jobSource[job];
            if (source != null) {
                return source;
            }
            double[][] b = baselineRows[jobExample[job]];
            return b[firstRow == null ? 0 : row - firstRow[job]];
        }

        @Override
        public void fill(int row, double[] dest) {
            int job = job(row);
            double[] ref = reference(row, job);
            System.arraycopy(inputRow(jobExample[job]), 0, dest, 0, dest.length);
            set(job).forEach(e -> dest[e] = ref[e]);
        }

        /**
         * This filler itself: it keeps no state between calls (a permutation's row copy reads the row before
         * it in the same batch only), so batches can be filled on several threads at once. The examples' rows
         * are made here, on the calling thread, before any other thread reads them.
         */
        @Override
        public EvaluationEngine.RowFiller forAnotherThread() {
            inputRows32();
            if (run.engine().model().signature().inputType() != org.explain4j.core.DType.FLOAT32) {
                // the double rows of the generic path
                inputRows();
            }
            return this;
        }

        @Override
        public void fill(int from, int m, float[] dest, double[] scratch) {
            float[][] x32 = inputRows32();
            int d = scratch.length;
            ElementSet previous = null;
            double[] previousRef = null;
            int previousExample = -1;
            for (int i = 0; i < m; i++) {
                int row = from + i;
                int job = job(row);
                int off = i * d;
                int example = jobExample[job];
                ElementSet set = set(job);
                double[] ref = reference(row, job);
                if (example == previousExample && ref == previousRef && set instanceof Features f
                        && previous instanceof Features p && f.members == p.members && f.features == p.features
                        && f.from == p.from + 1) {
                    // the next step of a permutation: the row before it with one more feature restored
                    System.arraycopy(dest, off - d, dest, off, d);
                    float[] x = x32[example];
                    for (int e : f.members[f.features[p.from]]) {
                        dest[off + e] = x[e];
                    }
                } else {
                    System.arraycopy(x32[example], 0, dest, off, d);
                    set.write(dest, off, ref);
                }
                previous = set;
                previousRef = ref;
                previousExample = example;
            }
        }

        /**
         * Each row's pre-activation of the model's dense first layer: {@code h(x)} of its example plus
         * the change of each replaced element, accumulated in double and rounded to float32 once. A
         * permutation's next step adds its one restored feature to the state of the step before it
         * (kept per reference row), so a row's value depends on its job's chain only, never on
         * where the batches are cut.
         */
        final class Dense implements EvaluationEngine.LayerFiller {
            private final org.explain4j.core.model.DenseInput.Layer layer;
            private final int width;
            private final double[][] w;
            private final double[] bias;
            private final boolean[] chained;
            private final float[][] x32;
            /** {@code h(x)} of example {@code hxOf} (rows of one example come together; recomputed the same way otherwise). */
            private final double[] hx;
            private int hxOf = -1;
            /** {@code h} of reference row {@code hrefOf[b]} (see {@link #href}). */
            private final double[][] hrefOf;
            private final double[][] hrefValue;
            private final double[][] state;
            private final int[] stateJob;

            Dense(org.explain4j.core.model.DenseInput.Layer layer, boolean[] chained) {
                this.layer = layer;
                this.width = layer.width();
                this.w = layer.weights();
                this.bias = layer.bias();
                this.chained = chained;
                // made here, before any other thread's filler reads them
                this.x32 = inputRows32();
                int refs = 1;
                if (firstRow != null) {
                    for (int j = 0; j + 1 < firstRow.length; j++) {
                        refs = Math.max(refs, firstRow[j + 1] - firstRow[j]);
                    }
                }
                state = new double[refs][width];
                hx = new double[width];
                hrefOf = new double[refs][];
                hrefValue = new double[refs][width];
                stateJob = new int[refs];
                java.util.Arrays.fill(stateJob, -1);
            }

            /**
             * A filler with states of its own: a chained row whose chain state this filler does not hold
             * replays its chain from the chain's first job ({@link #step}), so every row gets the bits it
             * gets on one thread whichever filler writes it.
             */
            @Override
            public EvaluationEngine.LayerFiller forAnotherThread() {
                return new Dense(layer, chained);
            }

            /** {@code h(x)} of example {@code n}: bias plus the input's elements times their weights, in element order. */
            private double[] hx(int n) {
                if (hxOf != n) {
                    System.arraycopy(bias, 0, hx, 0, width);
                    float[] x = x32[n];
                    for (int e = 0; e < x.length; e++) {
                        addRow(hx, w[e], x[e]);
                    }
                    hxOf = n;
                }
                return hx;
            }

            /**
             * {@code h} of the reference row {@code ref} itself: bias plus its elements rounded to float32
             * times their weights, in element order; kept for the last row seen in slot {@code b}.
             */
            private double[] href(int b, double[] ref) {
                if (hrefOf[b] != ref) {
                    double[] h = hrefValue[b];
                    System.arraycopy(bias, 0, h, 0, width);
                    for (int e = 0; e < ref.length; e++) {
                        addRow(h, w[e], (float) ref[e]);
                    }
                    hrefOf[b] = ref;
                }
                return hrefValue[b];
            }

            /**
             * Sets {@code state[b]} to the pre-activation of job {@code job} with reference row {@code b}
             * ({@code ref}). A chained job adds its one restored feature to the state of the job before it;
             * where this filler's state is not that job's (the step before was written by another thread's
             * filler, or skipped), the chain is first replayed from its first job, the same operations in
             * the same order.
             */
            private void step(int job, int b, double[] ref) {
                double[] h = state[b];
                float[] x = x32[jobExample[job]];
                if (chained[job]) {
                    if (stateJob[b] != job - 1) {
                        int s = job - 1;
                        while (chained[s]) {
                            s--;
                        }
                        for (int t = s; t < job; t++) {
                            step(t, b, ref);
                        }
                    }
                    // the step before with one more feature restored: x_e replaces ref_e
                    Features p = (Features) set(job - 1);
                    for (int e : p.members[p.features[p.from]]) {
                        addRow(h, w[e], x[e] - (double) (float) ref[e]);
                    }
                } else {
                    ElementSet set = set(job);
                    if (set instanceof Features f && f.from == 0 && f.features.length == f.members.length
                            && f.size() == x.length) {
                        // every element from the reference (a permutation's first step): h(ref), kept per reference row
                        System.arraycopy(href(b, ref), 0, h, 0, width);
                    } else if (set instanceof Features f && f.features.length - f.from == 1
                            && f.members[f.features[f.from]].length == 1) {
                        // one element replaced (elementwise ablation): h(x) + w[e] * delta in one pass
                        // (the same operations as the general case below)
                        int e = f.members[f.features[f.from]][0];
                        double delta = (double) (float) ref[e] - x[e];
                        double[] hxe = hx(jobExample[job]);
                        if (delta == 0) {
                            System.arraycopy(hxe, 0, h, 0, width);
                        } else {
                            sumRow(h, hxe, w[e], delta);
                        }
                    } else {
                        System.arraycopy(hx(jobExample[job]), 0, h, 0, width);
                        set.accumulate(h, w, x, ref);
                    }
                }
                stateJob[b] = job;
            }

            @Override
            public void fill(int from, int m, double[] dest) {
                for (int i = 0; i < m; i++) {
                    int row = from + i;
                    int job = job(row);
                    int b = firstRow == null ? 0 : row - firstRow[job];
                    double[] ref = reference(row, job);
                    int e = firstRow == null && (job + 1 == chained.length || !chained[job + 1]) ? oneElement(job) : -1;
                    if (e >= 0) {
                        // one element replaced and no chain continues from this row: h(x) + w[e] * delta written
                        // straight into the batch (the same operations as step's, without the state's copy)
                        float[] x = x32[jobExample[job]];
                        double delta = (double) (float) ref[e] - x[e];
                        double[] hxe = hx(jobExample[job]);
                        if (delta == 0) {
                            System.arraycopy(hxe, 0, dest, i * width, width);
                        } else {
                            sumRowAt(dest, i * width, hxe, w[e], delta);
                        }
                        continue;
                    }
                    step(job, b, ref);
                    // the row as summed, in double: the layer rounds it to float32
                    System.arraycopy(state[b], 0, dest, i * width, width);
                }
            }

            /** The one element job {@code job} replaces, a feature of one element (elementwise ablation); else -1. */
            private int oneElement(int job) {
                if (!chained[job] && set(job) instanceof Features f && f.features.length - f.from == 1) {
                    int[] mem = f.members[f.features[f.from]];
                    if (mem.length == 1) {
                        return mem[0];
                    }
                }
                return -1;
            }
        }

        @Override
        public void accept(int row, double[] outputs) {
            int j = job(row);
            values[j] += run.explained(jobExample[j], outputs);
        }

        @Override
        public void accept(int from, int m, double[] all, int c) {
            for (int i = 0; i < m; i++) {
                int j = job(from + i);
                values[j] += run.explained(jobExample[j], all, i * c);
            }
        }
    }

    /** The examples' rows rounded to float32 (what a float32 model is given), made on first use. */
    private float[][] inputRows32() {
        if (inputRows32 == null) {
            // the same values as the double rows rounded to float32 (a float32 input's own values)
            org.explain4j.core.Tensor input = run.input();
            float[] all = input.toFloatArray();
            int d = input.exampleSize();
            float[][] f = new float[input.batchSize()][];
            for (int n = 0; n < f.length; n++) {
                f[n] = java.util.Arrays.copyOfRange(all, n * d, n * d + d);
            }
            inputRows32 = f;
        }
        return inputRows32;
    }
}
