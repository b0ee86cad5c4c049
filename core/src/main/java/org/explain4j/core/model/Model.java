package org.explain4j.core.model;

import org.explain4j.core.Tensor;

/**
 * A model explain4j can explain: a batched function from inputs {@code [N, ...]} to outputs
 * {@code [N, C]}. Implementations must be safe to call from several threads and must not keep
 * per-call state; a model that owns native resources releases them in {@link #close()}.
 */
public interface Model extends AutoCloseable {

    /** Runs the model on a batch. The result has one row of {@code outputSize} values per example. */
    Tensor forward(Tensor input);

    /** What the model accepts and returns. */
    ModelSignature signature();

    /** Identity of the model for provenance: a name and, where there is a file, its SHA-256. */
    ModelInfo info();

    @Override
    default void close() {
    }
}
