package org.explain4j.core.metrics;

/** One attribution-quality metric bound to its parameters; made by a {@link MetricSpec}. */
public interface Metric {
    /** The metric's name, e.g. {@code pixel-flipping}. */
    String name();

    /** Scores {@code in.attribution()} (or re-explains, for the metrics that do). */
    Scores evaluate(MetricInput in);
}
