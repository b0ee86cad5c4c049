package org.explain4j.core.model;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * What a model accepts and returns: the explained input (its name, element type and the shape
 * of one example, {@code -1} marking a dimension the model leaves open), the number of outputs
 * per example ({@code -1} when only a run can tell), and every input of the model by name (the
 * explained one included; the others are fed as given, see {@link FedInputs}).
 */
public record ModelSignature(String inputName, DType inputType, int[] exampleShape, int outputSize,
                             List<InputSpec> inputs) {

    public ModelSignature {
        if (inputName == null || inputType == null || exampleShape == null || inputs == null) {
            throw new IllegalArgumentException("inputName, inputType, exampleShape and inputs are required");
        }
        exampleShape = exampleShape.clone();
        inputs = List.copyOf(inputs);
        if (inputs.stream().noneMatch(i -> i.name().equals(inputName))) {
            throw new IllegalArgumentException("the explained input '" + inputName + "' must be one of the inputs");
        }
    }

    /** A signature of a model with a single input (its batch dimension open and unnamed). */
    public ModelSignature(String inputName, DType inputType, int[] exampleShape, int outputSize) {
        this(inputName, inputType, exampleShape, outputSize, List.of(single(inputName, inputType, exampleShape)));
    }

    private static InputSpec single(String name, DType type, int[] exampleShape) {
        int[] shape = new int[exampleShape.length + 1];
        shape[0] = -1;
        System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
        return InputSpec.of(name, type, shape);
    }

    /** The declared input named {@code name}, if the model has one. */
    public Optional<InputSpec> input(String name) {
        return inputs.stream().filter(i -> i.name().equals(name)).findFirst();
    }

    /** The explained input as declared. */
    public InputSpec explained() {
        return input(inputName).orElseThrow();
    }

    /** The names of the inputs that are not explained (fed as given). */
    public List<String> fedInputNames() {
        return inputs.stream().map(InputSpec::name).filter(n -> !n.equals(inputName)).toList();
    }

    /**
     * The batch size the model's explained input is fixed to (e.g. 1 for a model exported with a
     * fixed batch), or -1 when the batch dimension is open.
     */
    public int fixedBatch() {
        int[] s = explained().shape();
        return s.length == 0 ? -1 : s[0];
    }

    /**
     * The same model explaining another of its inputs.
     *
     * @param argument the name under which the user chose the input, for the error message
     */
    public ModelSignature explaining(String name, String argument) {
        InputSpec in = input(name).orElseThrow(() -> Explain4jException.usage(argument, "the model has no input named '"
                + name + "'; its inputs are " + inputs.stream().map(InputSpec::name).toList()));
        if (in.rank() == 0) {
            throw Explain4jException.shape(argument, "the model's input '" + name + "' is a scalar, with no batch of "
                    + "examples to explain; explain one of " + inputs.stream().filter(i -> i.rank() > 0)
                    .map(InputSpec::name).toList());
        }
        int[] s = in.shape();
        return new ModelSignature(name, in.type(), Arrays.copyOfRange(s, 1, s.length), outputSize, inputs);
    }

    /** A signature for an input named {@code input}. */
    public static ModelSignature of(DType inputType, int[] exampleShape, int outputSize) {
        return new ModelSignature("input", inputType, exampleShape, outputSize);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSignature m && inputName.equals(m.inputName) && inputType == m.inputType
                && Arrays.equals(exampleShape, m.exampleShape) && outputSize == m.outputSize && inputs.equals(m.inputs);
    }

    @Override
    public int hashCode() {
        return inputName.hashCode() * 31 + Arrays.hashCode(exampleShape);
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
            boolean widened = input.dtype() == DType.INT32 && inputType == DType.INT64;
            if (!bothFloat && !widened) {
                throw Explain4jException.dtype(argument, argument + " is " + input.dtype().label()
                        + " but the model's input '" + inputName + "' takes " + inputType.label()
                        + "; save the array as " + inputType.label());
            }
        }
        if (input.dtype().isFloating()) {
            input.requireFinite(argument);
            if (inputType == DType.FLOAT32) {
                input.requireFloat32Range(argument);
            }
        }
    }
}
