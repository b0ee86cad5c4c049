package org.explain4j.core.model;

import java.util.Map;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * A model explain4j can explain: a batched function from inputs {@code [N, ...]} to outputs
 * {@code [N, C]}. A model with several inputs explains one of them (its signature's
 * {@code inputName}) while the others are fed by name. Implementations must be safe to call from several threads and must not keep
 * per-call state; a model that owns native resources releases them in {@link #close()}.
 */
public interface Model extends AutoCloseable {

    /** Runs the model on a batch. The result has one row of {@code outputSize} values per example. */
    Tensor forward(Tensor input);

    /**
     * Runs the model on a batch of the explained input with the model's other inputs fed as
     * given (named tensors, already laid out for this batch). A model with a single input takes
     * an empty map.
     */
    default Tensor forward(Tensor input, Map<String, Tensor> fed) {
        if (!fed.isEmpty()) {
            throw Explain4jException.unsupported("input", "the model (" + info().name() + ") takes a single input but "
                    + "was fed " + fed.keySet() + "; feed nothing else");
        }
        return forward(input);
    }

    /** What the model accepts and returns. */
    ModelSignature signature();

    /** Identity of the model for provenance: a name and, where there is a file, its SHA-256. */
    ModelInfo info();

    @Override
    default void close() {
    }
}
