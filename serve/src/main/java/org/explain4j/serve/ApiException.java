package org.explain4j.serve;

import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;

/**
 * An error the service answers with: an HTTP status and the JSON body
 * {@code {"error": {"code", "message", "argument"}}}. Library errors keep the command line's
 * one-line message and argument; their kind decides the status.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;
    private final String argument;
    private final Integer retryAfter;

    public ApiException(int status, String code, String argument, String message) {
        this(status, code, argument, message, null);
    }

    public ApiException(int status, String code, String argument, String message, Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.argument = argument;
        this.retryAfter = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String argument() {
        return argument;
    }

    /** Seconds for a {@code Retry-After} header, or null. */
    public Integer retryAfter() {
        return retryAfter;
    }

    /** A 400 for a bad request argument. */
    public static ApiException badRequest(String argument, String message) {
        return new ApiException(400, "usage", argument, message);
    }

    public static ApiException notFound(String argument, String message) {
        return new ApiException(404, "not_found", argument, message);
    }

    /** The service's answer to a library error: same message and argument, status by kind. */
    public static ApiException of(Explain4jException e) {
        ErrorKind k = e.kind();
        int status = switch (k) {
            case USAGE, SHAPE, DTYPE, NON_FINITE, TARGET, FILE -> 400;
            case UNSUPPORTED -> 422;
            case MODEL, INTERNAL -> 500;
        };
        return new ApiException(status, k.name().toLowerCase(java.util.Locale.ROOT), e.argument(), oneLine(e.getMessage()));
    }

    static String oneLine(String s) {
        return s == null ? "unknown error" : s.replace('\n', ' ').replace('\r', ' ').trim();
    }
}
