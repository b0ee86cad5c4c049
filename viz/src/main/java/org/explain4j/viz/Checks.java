package org.explain4j.viz;

import java.util.List;
import org.explain4j.core.Explain4jException;

/** Argument checks shared by the records of this package. */
final class Checks {
    private Checks() {
    }

    /** Throws {@link IllegalArgumentException} naming {@code name} when {@code value} is null. */
    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }

    /** An unmodifiable copy of {@code list}, refusing a null list or null elements. */
    static <T> List<T> copyOf(List<T> list, String name) {
        notNull(list, name);
        for (T t : list) {
            notNull(t, "elements of " + name);
        }
        return List.copyOf(list);
    }

    /** Throws a usage error unless {@code value >= min}. */
    static int atLeast(int value, int min, String name) {
        if (value < min) {
            throw Explain4jException.usage(name, name + " must be at least " + min + " (got " + value + ")");
        }
        return value;
    }

    /** Throws a usage error unless {@code value} is finite and in {@code [min, max]}. */
    static double inRange(double value, double min, double max, String name) {
        if (!(value >= min && value <= max)) {
            throw Explain4jException.usage(name, name + " must be between " + min + " and " + max + " (got " + value + ")");
        }
        return value;
    }
}
