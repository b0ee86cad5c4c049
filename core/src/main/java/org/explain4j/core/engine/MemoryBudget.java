package org.explain4j.core.engine;

import java.util.Locale;
import org.explain4j.core.Explain4jException;

/**
 * The memory a model call may take for its rows' activations, which sizes {@link BatchSize#AUTO}:
 * {@code floor(budget / bytesPerRow)} rows, at least the method's minimum, at most
 * {@value #MAX_ROWS}. It does not count the fixed part of a run (the JVM, the model's weights,
 * ONNX Runtime's sessions).
 *
 * <p>Default {@value #DEFAULT_TEXT}; the system property {@value #PROPERTY} or else the
 * environment variable {@value #ENVIRONMENT} (and the command line's {@code --memory-budget})
 * set another, as bytes or with a suffix {@code k}, {@code m}, {@code g} (powers of 1024).
 */
public final class MemoryBudget {
    /** System property that sets the budget. */
    public static final String PROPERTY = "explain4j.memoryBudget";
    /** Environment variable that sets the budget when the property is absent. */
    public static final String ENVIRONMENT = "EXPLAIN4J_MEMORY_BUDGET";
    /** The default budget, as written. */
    public static final String DEFAULT_TEXT = "1g";
    /** The most rows an automatic batch takes, whatever the budget. */
    public static final int MAX_ROWS = 256;

    private MemoryBudget() {
    }

    /** The budget in bytes: the system property, else the environment variable, else 1 GiB. */
    public static long bytes() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return parse(p, "memory-budget");
        }
        String e = System.getenv(ENVIRONMENT);
        if (e != null && !e.isBlank()) {
            return parse(e, ENVIRONMENT);
        }
        return parse(DEFAULT_TEXT, "memory-budget");
    }

    /** Bytes from {@code 1073741824}, {@code 512m}, {@code 2g}, {@code 64k} (powers of 1024); refuses anything else, naming {@code argument}. */
    public static long parse(String text, String argument) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                default -> unit = 1;
            }
        }
        if (unit > 1) {
            t = t.substring(0, t.length() - 1);
        }
        double v;
        try {
            v = Double.parseDouble(t);
        } catch (NumberFormatException ex) {
            throw Explain4jException.usage(argument, argument + " '" + text + "' is not a size (e.g. 1g, 512m, 1073741824)");
        }
        if (!(v * unit >= 1) || v * unit > Long.MAX_VALUE / 2) {
            throw Explain4jException.usage(argument, argument + " '" + text + "' must be a positive size (e.g. 1g, 512m)");
        }
        return (long) (v * unit);
    }

    /**
     * The rows per call for {@code bytesPerRow} under {@code budget}: {@code floor(budget /
     * bytesPerRow)}, at least {@code min}, at most {@value #MAX_ROWS}.
     */
    public static int rows(long budget, long bytesPerRow, int min) {
        long r = budget / Math.max(1, bytesPerRow);
        return (int) Math.max(min, Math.min(MAX_ROWS, r));
    }
}
