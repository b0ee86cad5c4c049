package org.explain4j.core.metrics;

import org.explain4j.core.model.Model;

/**
 * A model whose first layer can absorb a constant input shift, for {@code input-invariance}
 * (Kindermans et al. 2017): the copy's first convolution gets the bias
 * {@code 2 b_c - min over positions of conv(full(shift))_c}, as Quantus's
 * {@code add_mean_shift_to_first_layer}. The ONNX backend edits an in-memory copy of the graph.
 */
public interface InputShiftable {
    /**
     * A model equal to this one except for the first convolution's bias, compensating an input
     * shifted by {@code inputShift} on examples of shape {@code exampleShape} (the caller closes it).
     */
    Model shiftedFirstLayer(double inputShift, int[] exampleShape);
}
