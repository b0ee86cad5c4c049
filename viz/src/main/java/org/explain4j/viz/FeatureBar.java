package org.explain4j.viz;

/**
 * One feature's bar: its name, its attribution and its index in the caller's feature order.
 *
 * @param name  the feature's name
 * @param value its attribution
 * @param index its position in the names and values given to {@link FeatureBarChart}
 */
public record FeatureBar(String name, double value, int index) {
    public FeatureBar {
        Checks.notNull(name, "name");
        Checks.atLeast(index, 0, "index");
    }
}
