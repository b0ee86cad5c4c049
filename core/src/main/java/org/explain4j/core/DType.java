package org.explain4j.core;

/** Element types a {@link Tensor} can hold. */
public enum DType {
    FLOAT32,
    FLOAT64,
    INT64,
    /** 32-bit integers (as NumPy's int32 files and some models' token inputs); held as longs. */
    INT32;

    /** True for the floating-point types. */
    public boolean isFloating() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /** Lower-case name as NumPy and the command line spell it. */
    public String label() {
        return switch (this) {
            case FLOAT32 -> "float32";
            case FLOAT64 -> "float64";
            case INT64 -> "int64";
            case INT32 -> "int32";
        };
    }
}
