package org.explain4j.core.engine;

import java.util.Locale;
import org.explain4j.core.Explain4jException;

/**
 * The memory a model call may take for its rows' activations, which sizes {@link BatchSize#AUTO}:
 * {@code floor(budget / bytesPerRow)} rows, at least the method's minimum, at most
 * {@link #maxRows(long)}: {@value #MAX_ROWS} rows, or more for small rows, as many as
 * {@value #SMALL_BATCH_BYTES} bytes of rows hold, up to {@value #MAX_SMALL_ROWS}. It does not count
 * the fixed part of a run (the JVM, the model's weights, ONNX Runtime's sessions).
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
    /** The most rows an automatic batch of ordinary rows takes, whatever the budget. */
    public static final int MAX_ROWS = 256;
    /**
     * Rows smaller than {@code SMALL_BATCH_BYTES / MAX_ROWS} (64 KiB: a tabular model, a short
     * sequence) may take more than {@value #MAX_ROWS} rows a call, as many as this many bytes of
     * rows hold: the per-call cost of the engine and ONNX Runtime then stays small beside the
     * rows' own (docs/NOTES.md, "Sampling methods, second round"). 16 MiB: far under the default
     * budget, so an estimate that misses the activations (a model without {@link RowMemory})
     * cannot take much memory with it.
     */
    public static final long SMALL_BATCH_BYTES = 16L << 20;
    /** The most rows an automatic batch takes, however small its rows. */
    public static final int MAX_SMALL_ROWS = 16384;

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
     * bytesPerRow)}, at least {@code min}, at most {@link #maxRows(long)}.
     */
    public static int rows(long budget, long bytesPerRow, int min) {
        long b = Math.max(1, bytesPerRow);
        long r = budget / b;
        return (int) Math.max(min, Math.min(maxRows(b), r));
    }

    /**
     * The cap on an automatic batch of rows of {@code bytesPerRow}: {@value #MAX_ROWS}, or for rows
     * of less than 64 KiB as many as fit in {@value #SMALL_BATCH_BYTES} bytes, at most
     * {@value #MAX_SMALL_ROWS}.
     */
    public static int maxRows(long bytesPerRow) {
        long small = SMALL_BATCH_BYTES / Math.max(1, bytesPerRow);
        return (int) Math.max(MAX_ROWS, Math.min(MAX_SMALL_ROWS, small));
    }
}
