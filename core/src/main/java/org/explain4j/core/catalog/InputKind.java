package org.explain4j.core.catalog;

/** The kinds of input a method is suggested for when a front end picks a default set of methods. */
public enum InputKind {
    /** Images (N, C, H, W). */
    IMAGE,
    /** Rows of features (N, F). */
    TABULAR,
    /** Token ids (N, T), explained through a layer such as the embedding output. */
    TOKENS
}
