package org.explain4j.core.model;

import java.util.function.IntUnaryOperator;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * The check every model output passes before explain4j uses it: a NaN or infinite explained
 * output (a {@code Sqrt} or {@code Log} of a negative value, an overflow) would make every
 * attribution and score computed from it NaN, so it is refused with one line naming the output
 * instead. Only the values that are explained are checked ({@link Explained}): a model may put
 * {@code -inf} in columns nobody reads (masked policy logits).
 */
public final class ModelOutputs {
    private ModelOutputs() {
    }

    /** Which output columns a caller reads: column {@code column} of row {@code row}, which belongs to example {@code example}. */
    @FunctionalInterface
    public interface Explained {
        boolean reads(int row, int example, int column);
    }

    /** Every column is read (the caller does not say which). */
    public static final Explained ALL = (row, example, column) -> true;

    /** No column is checked (a value used for a diagnostic only, e.g. F(baseline) of the completeness gap). */
    public static final Explained NONE = (row, example, column) -> false;

    /** The columns with a non-zero weight in the example's seed row (a target's explained value). */
    public static Explained ofSeeds(double[][] seeds) {
        return (row, example, column) -> example < 0 || example >= seeds.length || column >= seeds[example].length
                || seeds[example][column] != 0;
    }

    /**
     * Throws a {@link ErrorKind#NON_FINITE} error when {@code out} ({@code [rows, C]}) holds a
     * NaN or infinite value that {@code explained} reads ({@link #ALL}: any); row {@code r} belongs
     * to example {@code exampleOfRow(first + r)}.
     */
    public static Tensor requireFinite(Model model, Tensor out, int first, IntUnaryOperator exampleOfRow,
                                       Explained explained) {
        int bad = out.firstNonFinite();
        if (bad < 0 || explained == NONE) {
            return out;
        }
        int per = Math.max(1, out.exampleSize());
        int size = out.size();
        for (int i = bad; i < size; i++) {
            double v = out.getDouble(i);
            if (Double.isFinite(v)) {
                continue;
            }
            int row = i / per;
            int example = exampleOfRow.applyAsInt(first + row);
            if (explained.reads(first + row, example, i % per)) {
                throw error(model, v, i % per, example);
            }
        }
        return out;
    }

    /**
     * The same check for one output row {@code outputs} of global row {@code row} (example
     * {@code example}), for outputs that do not come as a tensor (incremental evaluation).
     */
    public static void requireFinite(Model model, double[] outputs, int row, int example, Explained explained) {
        if (explained == NONE) {
            return;
        }
        for (int c = 0; c < outputs.length; c++) {
            if (!Double.isFinite(outputs[c]) && explained.reads(row, example, c)) {
                throw error(model, outputs[c], c, example);
            }
        }
    }

    private static Explain4jException error(Model model, double v, int column, int example) {
        return new Explain4jException(ErrorKind.NON_FINITE, "model output", "the model's output ("
                + model.info().name() + ") is " + v + " at output " + column
                + " for example " + example + " (or an input derived from it); explain4j explains finite outputs only: "
                + "check the model (e.g. Sqrt or Log of a negative value, an overflow) and the input's range");
    }
}
