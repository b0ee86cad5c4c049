package org.explain4j.core.catalog;

import java.util.Locale;

/** The type of a method parameter, which fixes how its value is written and checked. */
public enum ParamType {
    /** A 32-bit integer. */
    INT,
    /** A 64-bit integer (seeds). */
    LONG,
    /** A finite real number. */
    DOUBLE,
    /** {@code true} or {@code false}. */
    BOOLEAN,
    /** One of a fixed list of names. */
    CHOICE,
    /** A comma-separated list of positive integers, one per example dimension. */
    INT_LIST,
    /** A name (e.g. an intermediate tensor of the model). */
    STRING,
    /** A reference input: {@code zeros}, a number, or a tensor of shape (1, ...) or (N, ...). */
    BASELINE,
    /** A distribution of K reference rows, shape (K, ...). */
    BASELINE_DISTRIBUTION,
    /** Integer group ids per element, shape (...), (1, ...) or (N, ...). */
    FEATURE_MASK;

    /** The kebab-case name used in listings and JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** True for the types whose values are tensors (files on the command line, arrays in JSON). */
    public boolean isTensor() {
        return this == BASELINE || this == BASELINE_DISTRIBUTION || this == FEATURE_MASK;
    }
}
