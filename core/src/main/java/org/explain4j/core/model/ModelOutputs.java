package org.explain4j.core.model;

import java.util.function.IntUnaryOperator;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * The check every model output passes before explain4j uses it: a NaN or infinite output
 * (a {@code Sqrt} or {@code Log} of a negative value, an overflow) would make every attribution
 * and score computed from it NaN, so it is refused with one line naming the output instead.
 */
public final class ModelOutputs {
    private ModelOutputs() {
    }

    /**
     * Throws a {@link ErrorKind#NON_FINITE} error when {@code out} ({@code [rows, C]}) holds a
     * NaN or infinite value; row {@code r} belongs to example {@code exampleOfRow(first + r)}.
     */
    public static Tensor requireFinite(Model model, Tensor out, int first, IntUnaryOperator exampleOfRow) {
        int bad = out.firstNonFinite();
        if (bad < 0) {
            return out;
        }
        int per = Math.max(1, out.exampleSize());
        int row = bad / per;
        int example = exampleOfRow.applyAsInt(first + row);
        throw new Explain4jException(ErrorKind.NON_FINITE, "model output", "the model's output ("
                + model.info().name() + ") is " + out.getDouble(bad) + " at output " + (bad % per)
                + " for example " + example + " (or an input derived from it); explain4j explains finite outputs only: "
                + "check the model (e.g. Sqrt or Log of a negative value, an overflow) and the input's range");
    }
}
