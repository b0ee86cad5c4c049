package org.explain4j.core.method;

import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;

/** One attribution method bound to a model and its options. */
public interface AttributionMethod {
    /** The method's command-line name, e.g. {@code feature-ablation}. */
    String name();

    /** Explains {@code target} for every example of {@code input} (shape {@code [N, ...]}). */
    Attribution attribute(Tensor input, Target target);

    /**
     * Explains {@code target} for every example of {@code input}, the model's explained input,
     * while its other inputs are fed as given ({@code fed}: attention masks, token types,
     * recurrent state). Every built-in method takes fed inputs; a method that does not refuses
     * them.
     */
    default Attribution attribute(Tensor input, FedInputs fed, Target target) {
        if (!fed.isEmpty()) {
            throw Explain4jException.unsupported("input", name() + " explains single-input models only; it cannot feed "
                    + fed.values().keySet());
        }
        return attribute(input, target);
    }
}
