package org.explain4j.core.catalog;

import java.util.Locale;

/** The shape of a method's attribution. */
public enum Output {
    /** The input's shape. */
    INPUT("the input's shape"),
    /** The layer's shape (N, ...layer). */
    LAYER("the layer's shape"),
    /** One map per example at the layer's resolution, (N, 1, spatial...). */
    LAYER_MAP("(N, 1, spatial...) at the layer's resolution");

    private final String description;

    Output(String description) {
        this.description = description;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public String description() {
        return description;
    }
}
