package org.explain4j.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;

/**
 * A row that cannot be explained, failing its task: the row's own error's kind and argument
 * (a target out of range stays a target error). Its text ({@link #toString()}, what Spark keeps
 * of a task's exception when the exception itself does not reach the driver) carries the kind
 * and the argument, so that {@link #parse} gets the error back from that text.
 */
final class RowFailure extends Explain4jException {
    private static final long serialVersionUID = 1L;
    private static final Pattern TEXT = Pattern.compile(Pattern.quote(RowFailure.class.getName())
            + "\\[([A-Z_]+) ([^\\]\\s]*)\\]: ([^\\n\\r]*)");

    RowFailure(ErrorKind kind, String argument, String message) {
        super(kind, argument, message);
    }

    @Override
    public String toString() {
        return RowFailure.class.getName() + "[" + kind() + " " + argument() + "]: " + getMessage();
    }

    /** The failure whose text is in {@code text} (a Spark job's message), or null. */
    static Explain4jException parse(String text) {
        Matcher m = TEXT.matcher(text);
        if (!m.find()) {
            return null;
        }
        ErrorKind kind;
        try {
            kind = ErrorKind.valueOf(m.group(1));
        } catch (IllegalArgumentException e) {
            kind = ErrorKind.INTERNAL;
        }
        return new Explain4jException(kind, m.group(2), m.group(3).trim());
    }
}
