package org.explain4j.core.catalog;

import java.util.Locale;

/** What a method needs from the model or the caller beyond an input and a target. */
public enum Need {
    /** A differentiable model: explain4j derives the backward graph of an ONNX model. */
    BACKWARD_GRAPH,
    /** A named intermediate tensor ({@code layer}). */
    LAYER,
    /** A reference input ({@code baseline}; zeros by default). */
    BASELINE,
    /** A distribution of reference rows ({@code baseline} with K rows). */
    BASELINE_DISTRIBUTION,
    /** Groups of input elements that act as one feature ({@code feature-mask}; each element by default). */
    FEATURE_MASK,
    /** A batch of at least two examples (the method mixes examples). */
    BATCH_OF_TWO;

    /** The kebab-case name used in listings and JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
