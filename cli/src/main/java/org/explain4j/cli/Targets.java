package org.explain4j.cli;

import java.util.Arrays;
import org.explain4j.core.Explain4jException;

/**
 * The command line's {@code --target} of class indices, read in one place for {@code explain},
 * {@code evaluate} and raw text: one class for every example or one per example, none negative
 * (checked before the model is loaded), and each below the model's number of outputs once that is
 * known. The range message is core's ({@link org.explain4j.core.Target#requireInRange}), the line
 * methods and metrics give, with {@code --target} named, so that the command line and the service agree.
 */
final class Targets {
    private Targets() {
    }

    /**
     * The class of each of {@code n} examples from {@code text} ({@code 3}: one class for all,
     * {@code 0,1,2}: one per example); {@code unit} names the examples in the message
     * ("example", "text").
     */
    static int[] parse(String text, int n, String unit) {
        int[] t = Parse.ints("--target", text);
        if (t.length != 1 && t.length != n) {
            throw Explain4jException.target("--target", "--target gives " + t.length + " classes for " + n + " " + unit
                    + (n == 1 ? "" : "s") + "; pass one class for all or one per " + unit);
        }
        for (int v : t) {
            if (v < 0) {
                throw Explain4jException.target("--target", "--target " + v + " is negative; pass class indices from 0");
            }
        }
        if (t.length == 1 && n != 1) {
            int[] all = new int[n];
            Arrays.fill(all, t[0]);
            return all;
        }
        return t;
    }

    /** Refuses a target at or beyond the model's {@code classes} outputs. */
    static void requireInRange(int[] targets, int classes) {
        for (int v : targets) {
            org.explain4j.core.Target.requireInRange("--target", v, classes);
        }
    }

    /** {@link #parse} then {@link #requireInRange}. */
    static int[] parse(String text, int n, String unit, int classes) {
        int[] t = parse(text, n, unit);
        requireInRange(t, classes);
        return t;
    }
}
