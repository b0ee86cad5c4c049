package org.explain4j.core.method;

import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;

/** One attribution method bound to a model and its options. */
public interface AttributionMethod {
    /** The method's command-line name, e.g. {@code feature-ablation}. */
    String name();

    /** Explains {@code target} for every example of {@code input} (shape {@code [N, ...]}). */
    Attribution attribute(Tensor input, Target target);
}
