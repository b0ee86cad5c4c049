package org.explain4j.core;

/**
 * The category of an {@link Explain4jException}. Each kind has its own process exit code, so a
 * script calling the command-line tool can tell a bad file from a bad target without parsing text.
 */
public enum ErrorKind {
    /** A bug or an unexpected failure inside explain4j. */
    INTERNAL(1),
    /** An unknown flag, method or option value on the command line or in an options record. */
    USAGE(2),
    /** A tensor's shape or rank does not fit the model, the mask or the baseline. */
    SHAPE(3),
    /** A tensor's element type is not the one required. */
    DTYPE(4),
    /** A NaN or infinite value where finite numbers are required. */
    NON_FINITE(5),
    /** A target class index or weighting that does not fit the model's output. */
    TARGET(6),
    /** A file that is missing, unreadable or malformed. */
    FILE(7),
    /** The model could not be loaded or failed while running. */
    MODEL(8),
    /** An operation the model uses that a method cannot handle (for example an ONNX op without a gradient rule). */
    UNSUPPORTED(9);

    private final int exitCode;

    ErrorKind(int exitCode) {
        this.exitCode = exitCode;
    }

    /** The process exit code the command-line tool uses for this kind of error. */
    public int exitCode() {
        return exitCode;
    }
}
