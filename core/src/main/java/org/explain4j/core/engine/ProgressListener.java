package org.explain4j.core.engine;

/** Hears how far a long run of model evaluations has got. Called from the evaluating thread. */
public interface ProgressListener {
    /** A run of {@code total} evaluations named {@code task} starts. */
    void start(String task, long total);

    /** {@code done} more evaluations finished. */
    void advance(long done);

    /** The run ended (normally or not). */
    void finish();

    /** A listener that ignores everything. */
    ProgressListener NONE = new ProgressListener() {
        @Override
        public void start(String task, long total) {
        }

        @Override
        public void advance(long done) {
        }

        @Override
        public void finish() {
        }
    };
}
