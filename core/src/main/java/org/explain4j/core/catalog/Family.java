package org.explain4j.core.catalog;

import java.util.Locale;

/** The kind of machinery a method uses. */
public enum Family {
    /** Gradients of the output with respect to the input (a backward graph). */
    GRADIENT,
    /** Activations and gradients at a named intermediate tensor. */
    LAYER,
    /** A modified backward pass under per-op propagation rules (DeepLIFT, guided backprop, LRP). */
    PROPAGATION,
    /** Forward passes on perturbed inputs only; works on any model. */
    PERTURBATION;

    /** The lower-case name used in listings and JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
