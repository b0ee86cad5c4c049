package org.explain4j.core.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * What the metrics share: their name, bound parameters, preprocessing and the {@link Scores} they
 * return ({@link #scores} records int lists as written on a command line, {@link #perExample} as
 * {@link MetricResults} does: each metric keeps the form it has always recorded).
 */
abstract class BaseMetric implements Metric {
    protected final String name;
    protected final Params params;

    BaseMetric(String name, Params params) {
        this.name = name;
        this.params = params;
    }

    @Override
    public String name() {
        return name;
    }

    /** The parameters as they ran (defaults included), as written on a command line. */
    Map<String, Object> ranWith() {
        Map<String, Object> out = new LinkedHashMap<>();
        params.values().forEach((k, v) -> out.put(k, v instanceof int[] ? ParamSpec.format(v) : v));
        return out;
    }

    Scores scores(Tensor values, boolean random, long seed, Optional<Tensor> curves, long evaluations) {
        return new Scores(name, values, ranWith(), random ? Optional.of(seed) : Optional.empty(), curves, evaluations);
    }

    static double[][] preprocess(ExampleData d, boolean normalise, boolean abs) {
        return Attributions.preprocess(d.a(), normalise, abs);
    }

    /** The attribution rows of {@code d} preprocessed as the bound {@code normalise} and {@code abs} say. */
    double[][] preprocessed(ExampleData d) {
        return preprocess(d, params.bool("normalise"), params.bool("abs"));
    }

    /** One score per example, shape {@code (N,)}, the parameters as {@link MetricResults} records them. */
    Scores perExample(double[] values, Optional<Long> seed, long evaluations) {
        return MetricResults.perExample(name, values, params, seed, evaluations);
    }

    static double sum(double[] a, int[] order, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += a[order[i]];
        }
        return s;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
