package org.explain4j.core.metrics;

import java.util.Locale;

/** Quantus's metric categories. */
public enum Category {
    FAITHFULNESS, ROBUSTNESS, LOCALISATION, COMPLEXITY, RANDOMISATION, AXIOMATIC;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
