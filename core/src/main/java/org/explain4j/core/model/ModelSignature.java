package org.explain4j.core.model;

import java.util.Arrays;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * What a model accepts and returns: the element type of its input, the shape of one example
 * ({@code -1} marks a dimension the model leaves open) and the number of outputs per example
 * ({@code -1} when only a run can tell).
 */
public record ModelSignature(String inputName, DType inputType, int[] exampleShape, int outputSize) {

    public ModelSignature {
        if (inputName == null || inputType == null || exampleShape == null) {
            throw new IllegalArgumentException("inputName, inputType and exampleShape are required");
        }
        exampleShape = exampleShape.clone();
    }

    /** A signature for an input named {@code input}. */
    public static ModelSignature of(DType inputType, int[] exampleShape, int outputSize) {
        return new ModelSignature("input", inputType, exampleShape, outputSize);
    }

    @Override
    public int[] exampleShape() {
        return exampleShape.clone();
    }

    /**
     * Checks that {@code input} is a batch this model accepts: its type, its rank, every fixed
     * dimension, and (for floating inputs) that every value is finite.
     *
     * @param argument the name under which the user passed the input, for the error message
     */
    public void validate(Tensor input, String argument) {
        String expected = "(N" + Arrays.stream(exampleShape).mapToObj(d -> ", " + (d < 0 ? "?" : String.valueOf(d)))
                .reduce("", String::concat) + ")";
        if (input.rank() != exampleShape.length + 1) {
            throw Explain4jException.shape(argument, argument + " has shape " + Tensor.shapeString(input.shape())
                    + " but the model's input '" + inputName + "' takes " + expected
                    + "; pass a batch of that shape (the first dimension is the batch)");
        }
        int[] s = input.shape();
        for (int i = 0; i < exampleShape.length; i++) {
            if (exampleShape[i] >= 0 && s[i + 1] != exampleShape[i]) {
                throw Explain4jException.shape(argument, argument + " has shape " + Tensor.shapeString(s)
                        + " but the model's input '" + inputName + "' takes " + expected
                        + "; dimension " + (i + 1) + " must be " + exampleShape[i]);
            }
        }
        if (s[0] == 0) {
            throw Explain4jException.shape(argument, argument + " is an empty batch; pass at least one example");
        }
        if (input.dtype() != inputType) {
            boolean bothFloat = input.dtype().isFloating() && inputType.isFloating();
            if (!bothFloat) {
                throw Explain4jException.dtype(argument, argument + " is " + input.dtype().label()
                        + " but the model's input '" + inputName + "' takes " + inputType.label()
                        + "; save the array as " + inputType.label());
            }
        }
        if (input.dtype().isFloating()) {
            input.requireFinite(argument);
        }
    }
}
