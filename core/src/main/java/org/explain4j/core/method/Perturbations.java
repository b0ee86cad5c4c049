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

        /** The elements of the given features. */
        static ElementSet ofFeatures(int[][] members, int... features) {
            return new Features(members, features, 0);
        }

        /** The elements of the features {@code order[from..]} (a permutation's absent tail). */
        static ElementSet ofTail(int[][] members, int[] order, int from) {
            return new Features(members, order, from);
        }
    }

    /** The elements of {@code features[from..]}. */
    private record Features(int[][] members, int[] features, int from) implements ElementSet {
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
    private final double[][] inputRows;
    private float[][] inputRows32;
    private final double[][][] baselineRows;
    // the queued jobs, in arrays (a method may queue millions)
    private int count;
    private int[] jobExample = new int[16];
    private ElementSet[] jobReplaced = new ElementSet[16];
    private double[][] jobSource = new double[16][];
    private boolean incremental;

    Perturbations(MethodRun run, double[][][] baselineRows) {
        this.run = run;
        this.baselineRows = baselineRows;
        this.inputRows = InputGradients.rows(run.input());
    }

    /**
     * Lets {@link #run} evaluate through the model's incremental inference
     * ({@link org.explain4j.core.model.LocalEvaluation}) where the model offers it: each
     * perturbation then recomputes only what its changed box reaches. Off by default.
     */
    Perturbations incremental(boolean on) {
        this.incremental = on;
        return this;
    }

    /** Example {@code n}'s values, flattened (shared; do not modify). */
    double[] inputRow(int n) {
        return inputRows[n];
    }

    /** Queues example {@code n} with {@code replaced} set to the baseline; returns the job's index. */
    int add(int n, ElementSet replaced) {
        return add(n, replaced, null);
    }

    /** Queues example {@code n} with {@code replaced} taken from {@code source}; returns the job's index. */
    int add(int n, ElementSet replaced, double[] source) {
        if (count == jobExample.length) {
            int grown = Math.max(16, count + (count >> 1));
            jobExample = java.util.Arrays.copyOf(jobExample, grown);
            jobReplaced = java.util.Arrays.copyOf(jobReplaced, grown);
            jobSource = java.util.Arrays.copyOf(jobSource, grown);
        }
        jobExample[count] = n;
        jobReplaced[count] = replaced;
        jobSource[count] = source;
        return count++;
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
            jobReplaced[j].forEach(e -> {
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
        if (incremental && shape.length >= 3 && run.fed().isEmpty()) {
            int[][][] box = boxes(shape);
            int[][] lo = new int[rows][];
            int[][] hi = new int[rows][];
            for (int r = 0; r < rows; r++) {
                lo[r] = box[rowsOf.job(r)][0];
                hi[r] = box[rowsOf.job(r)][1];
            }
            done = run.engine().evaluateLocal(task, rows, shape, exampleOfRow, n -> inputRows[n], lo, hi, rowsOf,
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
        java.util.Arrays.fill(jobReplaced, 0, count, null);
        java.util.Arrays.fill(jobSource, 0, count, null);
        this.count = 0;
        return values;
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
            System.arraycopy(inputRows[jobExample[job]], 0, dest, 0, dest.length);
            jobReplaced[job].forEach(e -> dest[e] = ref[e]);
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
                ElementSet set = jobReplaced[job];
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
            float[][] f = new float[inputRows.length][];
            for (int n = 0; n < f.length; n++) {
                f[n] = new float[inputRows[n].length];
                for (int e = 0; e < f[n].length; e++) {
                    f[n][e] = (float) inputRows[n][e];
                }
            }
            inputRows32 = f;
        }
        return inputRows32;
    }
}
