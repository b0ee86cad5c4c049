package org.explain4j.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The result of every attribution method: the values (same shape as the input for input-space
 * methods, the layer's shape for layer methods), what was explained and how, and what the run
 * measured.
 *
 * @param method      the method's command-line name, e.g. {@code kernel-shap}
 * @param values      the attributions
 * @param target      the explained output
 * @param options     the method's options, flattened to names and plain values
 * @param seed        the seed of a stochastic method
 * @param diagnostics evaluations, time, completeness gap, surrogate fit
 * @param provenance  model hash and library version
 * @param input       the name of the explained model input (explained directly, or through a
 *                    layer for layer methods); the model's other inputs were fed as given
 */
public record Attribution(String method, Tensor values, Target target, Map<String, Object> options,
                          OptionalLong seed, Diagnostics diagnostics, Provenance provenance, String input) {
    /** The input name of a result whose model did not name its input. */
    public static final String DEFAULT_INPUT = "input";

    public Attribution {
        if (method == null || values == null || target == null || options == null || seed == null
                || diagnostics == null || provenance == null || input == null) {
            throw new IllegalArgumentException("attribution fields must not be null");
        }
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** A result for an input named {@value #DEFAULT_INPUT}. */
    public Attribution(String method, Tensor values, Target target, Map<String, Object> options,
                       OptionalLong seed, Diagnostics diagnostics, Provenance provenance) {
        this(method, values, target, options, seed, diagnostics, provenance, DEFAULT_INPUT);
    }
}
