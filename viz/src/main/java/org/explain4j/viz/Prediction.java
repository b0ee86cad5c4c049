package org.explain4j.viz;

/**
 * One of a model's top predictions for an example, as the caller labels it.
 *
 * @param label       the class's name, e.g. {@code seven}
 * @param probability its probability, in {@code [0, 1]}
 */
public record Prediction(String label, double probability) {
    public Prediction {
        Checks.notNull(label, "label");
        Checks.inRange(probability, 0.0, 1.0, "probability");
    }

    /** A row label such as {@code pred: seven (p=0.98)}. */
    public String rowLabel() {
        return "pred: " + label + " (p=" + String.format(java.util.Locale.ROOT, "%.2f", probability) + ")";
    }
}
