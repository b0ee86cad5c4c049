package org.explain4j.cli;

import java.nio.file.Path;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamValues;
import org.explain4j.core.io.Npy;

/**
 * Parsing of the command line's string values into typed ones, with one-line errors. Public for
 * {@link #atLeastOne}, which the service's command checks its counts with.
 */
public final class Parse {
    private Parse() {
    }

    /**
     * Refuses a count below 1, naming {@code flag}: {@code --steps 0 must be at least 1}. Callers
     * check their counts in a fixed order, so the first bad flag given is the one reported.
     */
    public static void atLeastOne(String flag, int value) {
        if (value < 1) {
            throw Explain4jException.usage(flag, flag + " " + value + " must be at least 1");
        }
    }

    static int[] ints(String flag, String text) {
        String[] parts = text.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw Explain4jException.usage(flag, flag + " '" + text + "' is not a comma-separated list of integers, e.g. "
                        + flag + " 1,3,3");
            }
        }
        return out;
    }

    /** A target: class indices ({@code 3} or {@code 0,1,2}) or a weighting ({@code weights:1,-1}). */
    static Target target(String text) {
        String t = text.trim();
        if (t.startsWith("weights:")) {
            String[] parts = t.substring("weights:".length()).split(",");
            double[] w = new double[parts.length];
            for (int i = 0; i < parts.length; i++) {
                w[i] = number("--target", parts[i]);
            }
            return Target.weighting(w);
        }
        return Target.of(ints("--target", t));
    }

    static double number(String flag, String text) {
        try {
            double v = Double.parseDouble(text.trim());
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw Explain4jException.usage(flag, flag + " '" + text + "' is not a finite number");
        }
    }

    static boolean bool(String flag, String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw Explain4jException.usage(flag, flag + " '" + text + "' must be true or false");
        };
    }

    /**
     * A baseline: {@code zeros}, a number, or an {@code .npy} file. A file of 1 row (or of one
     * example's shape) broadcasts; a file of N rows gives one baseline per example; any other
     * number of rows, or any file when {@code distribution} is set, is a distribution of rows.
     */
    static Baseline baseline(String text, Tensor input, boolean distribution) {
        String t = text.trim();
        if (!t.toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
            Baseline b = ParamValues.scalarBaseline(t);
            if (b == null) {
                throw Explain4jException.usage("--baseline", "--baseline '" + text
                        + "' must be zeros, a number, or an .npy file");
            }
            return b;
        }
        Tensor b = Npy.read(Path.of(t), "--baseline");
        if (!b.dtype().isFloating() && input.dtype().isFloating()) {
            b = b.to(input.dtype());
        }
        if (distribution) {
            if (b.rank() == input.rank() - 1) {
                int[] s = b.shape();
                int[] withBatch = new int[s.length + 1];
                withBatch[0] = 1;
                System.arraycopy(s, 0, withBatch, 1, s.length);
                b = b.reshape(withBatch);
            }
            return Baseline.distribution(b);
        }
        if (b.rank() == input.rank() && b.dim(0) != 1 && b.dim(0) != input.batchSize()) {
            return Baseline.distribution(b);
        }
        return Baseline.of(b);
    }
}
