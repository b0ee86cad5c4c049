package org.explain4j.core.model;

import org.explain4j.core.Tensor;

/**
 * A model that can run several forward passes at once, each on one thread, to use the threads it was
 * given: the perturbation engine then fills and runs that many batches at once on threads of its own,
 * instead of one batch at a time with the threads inside the model's call (which leaves the filling of
 * rows on one core). For small models, where a call's own parallelism pays little. Optional.
 */
public interface ParallelForward {
    /** How many one-thread calls to run at once; 1 or less: the model does not offer them now. */
    int parallelCalls();

    /**
     * {@link Model#forward(Tensor)} on one thread (of a session of its own); the same values, and the same
     * bits at every call. Calls may come from several threads at once.
     */
    Tensor forwardOnOneThread(Tensor input);
}
