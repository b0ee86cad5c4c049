package org.explain4j.core;

/** Element types a {@link Tensor} can hold. */
public enum DType {
    FLOAT32,
    FLOAT64,
    INT64;

    /** True for the floating-point types. */
    public boolean isFloating() {
        return this != INT64;
    }

    /** Lower-case name as NumPy and the command line spell it. */
    public String label() {
        return switch (this) {
            case FLOAT32 -> "float32";
            case FLOAT64 -> "float64";
            case INT64 -> "int64";
        };
    }
}
