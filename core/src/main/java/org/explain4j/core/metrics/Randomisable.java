package org.explain4j.core.metrics;

import java.util.List;
import org.explain4j.core.model.Model;

/**
 * A model whose parameters can be randomised layer by layer in memory, for the randomisation
 * metrics (MPRT and its variants). The ONNX backend implements it by replacing initializers of a
 * copy of the graph; the user's model file is never touched.
 */
public interface Randomisable {
    /** The randomisable layers (parameterised nodes), input side first. */
    List<String> layers();

    /**
     * A model equal to this one except that the parameters of {@code layers} are replaced by
     * random values drawn from {@code seed} (the caller closes it).
     */
    Model randomised(List<String> layers, long seed);

    /**
     * Optionally makes {@code next} (a copy from {@link #randomised}) ready for the calls that
     * {@code previous} (an earlier copy, still being used) receives, e.g. compiles its backward
     * session, so that its first call finds the work done. The randomisation metrics call it on a
     * helper thread while {@code previous} is being explained; it may wait until {@code previous}
     * has received its first call or is closed, and must not change any result. By default it
     * does nothing.
     */
    default void prepareLike(Model next, Model previous) throws InterruptedException {
    }

    /**
     * Announces a series of randomised copies from {@code seed} (MPRT's steps) until the returned
     * object is closed: meanwhile the copies may share work made once for the series (the ONNX
     * backend compiles one backward session in which every layer can be switched to its random
     * draws, instead of one per copy). Copies made outside a series, or of another seed, work as
     * always. Must not change any result beyond float rounding, and the same seed must give the
     * same results. By default nothing is shared.
     */
    default Series series(long seed) {
        return () -> { };
    }

    /** An open series of randomised copies ({@link #series}); close it after its copies. */
    interface Series extends AutoCloseable {
        @Override
        void close();

        /**
         * How many copies of this series the caller should explain at the same time, each on a
         * thread of its own, to use the machine best (the ONNX backend's shared session is then
         * compiled for that many concurrent passes). The results must not depend on it. Asked
         * while {@link #explainOriginal} runs on another thread, it may wait until the original's
         * first request shows whether the copies can share its work. By default 1: one copy after
         * the other.
         */
        default int copiesAtOnce() {
            return 1;
        }

        /**
         * Runs {@code explanation}, the explanation of the model as given (MPRT's column 0), on the
         * calling thread, letting the series share work with it: the ONNX backend runs its backward
         * passes on the series' shared session with every layer kept, instead of compiling a session
         * of their own beside the shared one, so that it can run beside the first copies. Same seed,
         * same results, and equal to the model's own explanation within float rounding. By default
         * it only runs {@code explanation}.
         */
        default <T> T explainOriginal(java.util.function.Supplier<T> explanation) {
            return explanation.get();
        }
    }
}
