package org.explain4j.core.engine;

import java.util.Map;
import java.util.OptionalLong;
import org.explain4j.core.Tensor;

/**
 * A model that can say how much memory one example row takes during a call, so that
 * {@link BatchSize#AUTO} can pick the most rows that fit the {@link MemoryBudget}. Models that do
 * not implement it are sized from their input and output rows alone.
 */
public interface RowMemory {
    /** The kind of model call. */
    enum Call {
        /** A forward pass (perturbation methods, outputs at reference points). */
        FORWARD,
        /** A forward and backward pass (gradient, layer and propagation methods). */
        BACKWARD
    }

    /**
     * Bytes one row adds to a call of kind {@code call} for an example like {@code row} (shape
     * {@code (1, ...)}) with the model's other inputs {@code fedRow} (one row each); empty when
     * the model cannot tell (then the input and output rows are used).
     */
    OptionalLong bytesPerRow(Tensor row, Map<String, Tensor> fedRow, Call call);
}
