package org.explain4j.core;

/**
 * The root of every error explain4j raises on purpose. The message is one line that names the
 * argument at fault, what was expected, what was found and how to fix it.
 */
public class Explain4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;
    private final String argument;

    public Explain4jException(ErrorKind kind, String argument, String message) {
        super(message);
        this.kind = kind;
        this.argument = argument;
    }

    public Explain4jException(ErrorKind kind, String argument, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.argument = argument;
    }

    /** The category, which also fixes the command-line exit code. */
    public ErrorKind kind() {
        return kind;
    }

    /** The argument at fault, as the user named it (for example {@code --target} or {@code input}). */
    public String argument() {
        return argument;
    }

    public static Explain4jException usage(String argument, String message) {
        return new Explain4jException(ErrorKind.USAGE, argument, message);
    }

    public static Explain4jException shape(String argument, String message) {
        return new Explain4jException(ErrorKind.SHAPE, argument, message);
    }

    public static Explain4jException dtype(String argument, String message) {
        return new Explain4jException(ErrorKind.DTYPE, argument, message);
    }

    public static Explain4jException target(String argument, String message) {
        return new Explain4jException(ErrorKind.TARGET, argument, message);
    }

    public static Explain4jException file(String argument, String message) {
        return new Explain4jException(ErrorKind.FILE, argument, message);
    }

    public static Explain4jException file(String argument, String message, Throwable cause) {
        return new Explain4jException(ErrorKind.FILE, argument, message, cause);
    }

    public static Explain4jException model(String argument, String message, Throwable cause) {
        return new Explain4jException(ErrorKind.MODEL, argument, message, cause);
    }

    public static Explain4jException unsupported(String argument, String message) {
        return new Explain4jException(ErrorKind.UNSUPPORTED, argument, message);
    }
}
