package org.explain4j.core.model;

import java.util.Arrays;
import java.util.List;
import org.explain4j.core.DType;

/**
 * One named input of a model, as the model declares it.
 *
 * @param name     the input's name
 * @param type     its element type
 * @param shape    its full declared shape, batch included where it has one; {@code -1} marks a
 *                 dimension the model leaves open; empty for a scalar
 * @param dimNames the symbolic name of each dimension ({@code ""} where it has none), e.g.
 *                 {@code batch_size}; the batch axis of a fed input is the dimension named like the
 *                 explained input's first one
 */
public record InputSpec(String name, DType type, int[] shape, List<String> dimNames) {
    public InputSpec {
        if (name == null || type == null || shape == null || dimNames == null) {
            throw new IllegalArgumentException("name, type, shape and dimNames are required");
        }
        shape = shape.clone();
        dimNames = List.copyOf(dimNames);
        if (dimNames.size() != shape.length) {
            throw new IllegalArgumentException("one dimension name per dimension is required");
        }
    }

    /** An input with unnamed dimensions. */
    public static InputSpec of(String name, DType type, int... shape) {
        return new InputSpec(name, type, shape, Arrays.stream(shape).mapToObj(d -> "").toList());
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** The declared shape as text, e.g. {@code (batch, 8)}, {@code (?, 8)}. */
    public String describe() {
        StringBuilder b = new StringBuilder(type.label()).append(" (");
        for (int i = 0; i < shape.length; i++) {
            b.append(i == 0 ? "" : ", ");
            b.append(shape[i] >= 0 ? String.valueOf(shape[i]) : dimNames.get(i).isEmpty() ? "?" : dimNames.get(i));
        }
        return b.append(")").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputSpec s && name.equals(s.name) && type == s.type && Arrays.equals(shape, s.shape)
                && dimNames.equals(s.dimNames);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + describe();
    }
}
