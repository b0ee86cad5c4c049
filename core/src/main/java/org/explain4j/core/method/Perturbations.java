package org.explain4j.core.method;

import java.util.ArrayList;
import java.util.List;
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

        /** The elements of the given features. */
        static ElementSet ofFeatures(int[][] members, int... features) {
            return action -> {
                for (int f : features) {
                    for (int e : members[f]) {
                        action.accept(e);
                    }
                }
            };
        }
    }

    /** The elements of the features that are absent from a coalition ({@code present[f]} false). */
    static ElementSet absent(int[][] members, boolean[] present) {
        return action -> {
            for (int f = 0; f < members.length; f++) {
                if (!present[f]) {
                    for (int e : members[f]) {
                        action.accept(e);
                    }
                }
            }
        };
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

    private record Job(int example, ElementSet replaced, double[] source) {
    }

    private final MethodRun run;
    private final double[][] inputRows;
    private final double[][][] baselineRows;
    private final List<Job> jobs = new ArrayList<>();
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
        jobs.add(new Job(n, replaced, null));
        return jobs.size() - 1;
    }

    /** Queues example {@code n} with {@code replaced} taken from {@code source}; returns the job's index. */
    int add(int n, ElementSet replaced, double[] source) {
        jobs.add(new Job(n, replaced, source));
        return jobs.size() - 1;
    }

    /** Each job's box over the last two dimensions: {@code [job][0]} the lowest row and column, {@code [job][1]} one past the highest. */
    private int[][][] boxes(int[] shape) {
        int h = shape[shape.length - 2];
        int w = shape[shape.length - 1];
        int[][][] box = new int[jobs.size()][][];
        for (int j = 0; j < box.length; j++) {
            int[] b = {Integer.MAX_VALUE, Integer.MAX_VALUE, -1, -1};
            jobs.get(j).replaced.forEach(e -> {
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
        int count = jobs.size();
        int[] firstRow = new int[count + 1];
        for (int j = 0; j < count; j++) {
            Job job = jobs.get(j);
            firstRow[j + 1] = firstRow[j] + (job.source != null ? 1 : baselineRows[job.example].length);
        }
        int rows = firstRow[count];
        int[] jobOfRow = new int[rows];
        for (int j = 0; j < count; j++) {
            for (int r = firstRow[j]; r < firstRow[j + 1]; r++) {
                jobOfRow[r] = j;
            }
        }
        double[] values = new double[count];
        int[] shape = run.input().exampleShape();
        java.util.function.IntUnaryOperator exampleOfRow = row -> jobs.get(jobOfRow[row]).example;
        EvaluationEngine.RowFiller filler = (row, dest) -> {
            Job job = jobs.get(jobOfRow[row]);
            double[] x = inputRows[job.example];
            double[] ref = job.source != null ? job.source
                    : baselineRows[job.example][row - firstRow[jobOfRow[row]]];
            System.arraycopy(x, 0, dest, 0, dest.length);
            job.replaced.forEach(e -> dest[e] = ref[e]);
        };
        EvaluationEngine.OutputConsumer consumer = (row, outputs) -> {
            int j = jobOfRow[row];
            values[j] += run.explained(jobs.get(j).example, outputs);
        };
        boolean done = false;
        if (incremental && shape.length >= 3 && run.fed().isEmpty()) {
            int[][][] box = boxes(shape);
            int[][] lo = new int[rows][];
            int[][] hi = new int[rows][];
            for (int r = 0; r < rows; r++) {
                lo[r] = box[jobOfRow[r]][0];
                hi[r] = box[jobOfRow[r]][1];
            }
            done = run.engine().evaluateLocal(task, rows, shape, exampleOfRow, n -> inputRows[n], lo, hi, filler,
                    consumer);
        }
        if (!done) {
            run.engine().evaluate(task, rows, shape, exampleOfRow, filler, consumer);
        }
        for (int j = 0; j < count; j++) {
            values[j] /= firstRow[j + 1] - firstRow[j];
        }
        jobs.clear();
        return values;
    }
}
