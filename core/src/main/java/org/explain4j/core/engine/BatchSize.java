package org.explain4j.core.engine;

import org.explain4j.core.Explain4jException;

/** The one check of the {@code batch-size} option that every method and engine shares. */
public final class BatchSize {
    /** The option's name, as the method catalogue and every error message call it. */
    public static final String OPTION = "batch-size";

    private BatchSize() {
    }

    /** {@code n} when it is at least 1; otherwise a usage error naming {@value #OPTION}. */
    public static int check(int n) {
        return check(n, 1, "");
    }

    /**
     * {@code n} when it is at least {@code min}; otherwise a usage error naming {@value #OPTION}
     * with {@code reason} (e.g. ", because each input is evaluated with its reference").
     */
    public static int check(int n, int min, String reason) {
        if (n < min) {
            throw Explain4jException.usage(OPTION, OPTION + " must be at least " + min + reason + " (got " + n + ")");
        }
        return n;
    }
}
