package org.explain4j.core.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.model.Model;

/**
 * Model parameter randomisation test (Adebayo et al. 2018, "Sanity checks for saliency maps"),
 * Quantus's MPRT: column 0 = Spearman(a, e(x)) on the model as given, column l = Spearman(a,
 * e(x)) after randomising step l's layers ({@code layer-order}: {@code top_down} cascading from the
 * output, {@code bottom_up}, {@code independent}); a and every e preprocessed (normalise + abs by
 * default). A method that depends on the model loses similarity as layers are randomised.
 */
final class Mprt implements Metric {
    static final String NAME = "mprt";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.RANDOMISATION, "Quantus 0.6.0 MPRT",
                "similarity of the explanation to explanations of increasingly randomised models",
                "Randomises the model's layers one after another and compares (Spearman) each new explanation with the "
                        + "given one. An explanation that reflects the model should become dissimilar: lower similarity "
                        + "after randomisation is better.",
                List.of(ParamSpec.seed().withDefault(42L), QuantusParams.layerOrder("top_down"),
                        ParamSpec.bool("return-average-correlation", false,
                                "one value per example: the mean of all columns, the original included (as Quantus)"),
                        ParamSpec.bool("return-last-correlation", false, "one value per example: the last column"),
                        ParamSpec.bool("skip-layers", false, "compute only the original and the fully randomised columns"),
                        QuantusParams.abs(true), QuantusParams.normalise(true)),
                false, true, true, "(N, L+1); (N,) with return-last-correlation or return-average-correlation",
                Optional.of(false), Mprt::new);
    }

    private final Params params;

    Mprt(Params params) {
        this.params = params;
        if (params.bool("return-average-correlation") && params.bool("return-last-correlation")) {
            throw Explain4jException.usage("return-last-correlation",
                    "return-last-correlation and return-average-correlation cannot both be true");
        }
        if (params.bool("return-average-correlation") && params.bool("skip-layers")) {
            throw Explain4jException.usage("skip-layers", "skip-layers cannot be combined with return-average-correlation "
                    + "(the average needs every layer)");
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Computes an explanation (preprocessed) of the input on a model; column is the explanation pass's index. */
    interface ExplainPass {
        double[][] explain(Model model, int column);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        ReExplain explain = ReExplain.of(in, NAME);
        boolean normalise = params.bool("normalise");
        boolean abs = params.bool("abs");
        double[][] columns = similarities(in, d, params, (m, c) -> explain.explain(m, d.x(), d.targets(), normalise, abs));
        return result(NAME, columns, params, in.seed());
    }

    /** The columns, or one value per example with return-last-correlation / return-average-correlation. */
    static Scores result(String name, double[][] columns, Params params, long seed) {
        boolean last = params.bool("return-last-correlation");
        if (!last && !params.bool("return-average-correlation")) {
            return MetricResults.perExampleRows(name, columns, params, Optional.of(seed), 0);
        }
        double[] out = new double[columns.length];
        for (int n = 0; n < out.length; n++) {
            if (last) {
                out[n] = columns[n][columns[n].length - 1];
            } else {
                double s = 0;
                for (double v : columns[n]) {
                    s += v;
                }
                out[n] = s / columns[n].length;
            }
        }
        return MetricResults.perExample(name, out, params, Optional.of(seed), 0);
    }

    /**
     * Whether the next randomised copy is made on a helper thread while the current one is
     * explained (default); {@code -Dexplain4j.mprt.lookahead=0} makes them one after the other
     * on the calling thread. Same results either way.
     */
    static boolean pipelined() {
        return !"0".equals(System.getProperty("explain4j.mprt.lookahead", "1").trim());
    }

    /** The helper's copy, its failure rethrown on the calling thread. */
    private static Model taken(Future<Model> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new IllegalStateException("interrupted while a randomised copy was made", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("a randomised copy could not be made: " + c, c);
        }
    }

    /** Per example: Spearman(a, e) on the original model, then after each randomisation step. */
    static double[][] similarities(MetricInput in, ExampleData d, Params params, ExplainPass pass) {
        Randomisable r = LayerRandomisation.of(in, NAME);
        double[][] a = SignedZeros.canonical(Attributions.preprocess(d.a(), params.bool("normalise"), params.bool("abs")));
        List<List<String>> steps = LayerRandomisation.steps(r.layers(), params.string("layer-order"));
        boolean skip = params.bool("skip-layers");
        List<Integer> todo = new ArrayList<>();
        for (int l = 0; l < steps.size(); l++) {
            if (!skip || l + 1 == steps.size()) {
                todo.add(l);
            }
        }
        // one series for all steps, one step included (skip-layers): the backend may share work between
        // the original and the copies (one switched session), and the original's explanation (column 0)
        // is computed the same way whatever the number of steps
        try (Similarities columns = new Similarities(a, pipelined() && !todo.isEmpty());
             Randomisable.Series series = todo.isEmpty() ? () -> { } : r.series(in.seed())) {
            org.explain4j.core.Timeline.mark("mprt: series open");
            java.util.function.Consumer<double[][]> add = e -> columns.add(SignedZeros.canonical(e));
            if (pipelined() && todo.size() > 1) {
                explainAtOnce(in, r, series, steps, todo, pass, add);
            } else {
                add.accept(series.explainOriginal(() -> pass.explain(in.model(), 0)));
                explainRandomised(in, r, steps, todo, pass, add);
            }
            org.explain4j.core.Timeline.mark("mprt: explanations done");
            double[][] out = columns.result();
            org.explain4j.core.Timeline.mark("mprt: ranks done");
            return out;
        }
    }

    /**
     * Spearman = Pearson of the ranks, per example and explanation; the given attribution's ranks
     * are the same in every column. With {@code background}, each explanation is ranked on a
     * helper thread while the next one is computed (the ranks of ResNet-18's 150,528 values take
     * some milliseconds each, on one core, and ONNX Runtime's runs leave part of the other one idle);
     * else on the calling thread. Same values either way.
     */
    private static final class Similarities implements AutoCloseable {
        private final ExecutorService helper;
        private final java.util.concurrent.CompletableFuture<double[][]> aRanks;
        private final List<java.util.concurrent.CompletableFuture<double[]>> columns = new ArrayList<>();

        Similarities(double[][] a, boolean background) {
            helper = background ? Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "explain4j-mprt-ranks");
                t.setDaemon(true);
                return t;
            }) : null;
            aRanks = supply(() -> {
                double[][] out = new double[a.length][];
                for (int n = 0; n < a.length; n++) {
                    out[n] = Correlations.ranks(a[n]);
                }
                return out;
            });
        }

        private <T> java.util.concurrent.CompletableFuture<T> supply(java.util.function.Supplier<T> s) {
            return helper == null ? java.util.concurrent.CompletableFuture.completedFuture(s.get())
                    : java.util.concurrent.CompletableFuture.supplyAsync(s, helper);
        }

        void add(double[][] e) {
            columns.add(supply(() -> {
                double[][] ar = aRanks.join();
                double[] col = new double[e.length];
                for (int n = 0; n < e.length; n++) {
                    col[n] = Correlations.pearson(ar[n], Correlations.ranks(e[n]));
                }
                return col;
            }));
        }

        /** (N, columns). */
        double[][] result() {
            double[][] out = new double[aRanks.join().length][columns.size()];
            for (int c = 0; c < columns.size(); c++) {
                double[] col = org.explain4j.core.Futures.join(columns.get(c));
                for (int n = 0; n < col.length; n++) {
                    out[n][c] = col[n];
                }
            }
            return out;
        }

        @Override
        public void close() {
            if (helper != null) {
                helper.shutdownNow();
            }
        }
    }

    /**
     * The original's explanation (column 0) on a helper thread, through the series
     * ({@link Randomisable.Series#explainOriginal}); then, where the series asks for several copies
     * at once ({@link Randomisable.Series#copiesAtOnce}, asked meanwhile: it may wait for the
     * original's first request), the copies on helper threads beside it, each helper making its
     * copy, explaining it and closing it, so that at most that many copies are open at a time; else
     * one after the other on the calling thread ({@link #explainRandomised}). The explanations are
     * appended in step order. Same values either way: each explanation depends only on its model.
     */
    private static void explainAtOnce(MetricInput in, Randomisable r, Randomisable.Series series, List<List<String>> steps,
                                      List<Integer> todo, ExplainPass pass,
                                      java.util.function.Consumer<double[][]> explanations) {
        java.util.concurrent.ThreadPoolExecutor copies = (java.util.concurrent.ThreadPoolExecutor) Executors.newFixedThreadPool(
                2, org.explain4j.core.NativeThreads.numberedDaemonFactory("explain4j-mprt-copy-"));
        try {
            java.util.concurrent.CountDownLatch begun = new java.util.concurrent.CountDownLatch(1);
            Future<double[][]> original = copies.submit(() -> series.explainOriginal(() -> {
                begun.countDown();
                return pass.explain(in.model(), 0);
            }));
            // the series is asked once the original's explanation has begun through it
            awaitBegun(begun, original);
            int width = Math.min(series.copiesAtOnce(), todo.size());
            if (original.isDone()) {
                explained(original); // an original that failed is reported before any copy starts
            }
            if (width < 2) {
                explanations.accept(explained(original));
                explainRandomised(in, r, steps, todo, pass, explanations);
                return;
            }
            if (width > copies.getMaximumPoolSize()) {
                copies.setMaximumPoolSize(width);
                copies.setCorePoolSize(width);
            }
            List<Future<double[][]>> out = new ArrayList<>();
            out.add(original);
            for (int l : todo) {
                List<String> layers = steps.get(l);
                out.add(copies.submit(() -> {
                    try (Model m = r.randomised(layers, in.seed())) {
                        return pass.explain(m, l + 1);
                    }
                }));
            }
            for (Future<double[][]> f : out) {
                explanations.accept(explained(f));
            }
        } finally {
            copies.shutdownNow();
            // a pass still running (after a failure) ends before the series closes around it
            boolean interrupted = false;
            while (true) {
                try {
                    if (copies.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits until {@code begun} is counted down or {@code task} has ended (a failure before it began). */
    private static void awaitBegun(java.util.concurrent.CountDownLatch begun, Future<?> task) {
        try {
            while (!begun.await(10, java.util.concurrent.TimeUnit.MILLISECONDS) && !task.isDone()) {
                // the helper has not started it yet
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the original model was explained", e);
        }
    }

    /** A helper's explanation, its failure rethrown on the calling thread. */
    private static double[][] explained(Future<double[][]> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while randomised copies were explained", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("a randomised copy could not be explained: " + c, c);
        }
    }

    /** Appends the explanation of each step in {@code todo} on its randomised copy. */
    private static void explainRandomised(MetricInput in, Randomisable r, List<List<String>> steps, List<Integer> todo,
                                          ExplainPass pass, java.util.function.Consumer<double[][]> explanations) {
        // lookahead of one copy: the next step's copy is made (and prepared like the current one,
        // e.g. its session compiled) on a helper thread while the current one is explained; every
        // copy is closed as soon as its explanation is taken, so at most two are open at a time
        ExecutorService helper = pipelined() && todo.size() > 1 ? Executors.newSingleThreadExecutor(
                org.explain4j.core.NativeThreads.daemonFactory("explain4j-mprt-next-copy")) : null;
        Future<Model> next = null;
        try {
            for (int i = 0; i < todo.size(); i++) {
                int l = todo.get(i);
                Model m = next != null ? taken(next) : r.randomised(steps.get(l), in.seed());
                next = null;
                try (m) {
                    if (helper != null && i + 1 < todo.size()) {
                        List<String> layers = steps.get(todo.get(i + 1));
                        Model previous = m;
                        next = helper.submit(() -> {
                            Model c = r.randomised(layers, in.seed());
                            try {
                                r.prepareLike(c, previous);
                            } catch (Throwable e) {
                                c.close();
                                throw e;
                            }
                            return c;
                        });
                    }
                    explanations.accept(pass.explain(m, l + 1));
                }
            }
        } finally {
            if (helper != null) {
                helper.shutdown();
                if (next != null) {
                    try {
                        taken(next).close();
                    } catch (RuntimeException e) {
                        // the failure that got here is the one reported
                    }
                }
            }
        }
    }
}
