package org.explain4j.cli;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.explain4j.core.Baseline;
import org.explain4j.core.FeatureMask;

/**
 * The method options given on the command line, parsed once into typed values. Absent values
 * leave the method's default in place. {@code given} holds the flag names the user typed, so a
 * flag that does not apply to the chosen method is refused instead of silently ignored.
 */
public record Flags(Set<String> given, Optional<Baseline> baseline, FeatureMask featureMask,
                    Optional<int[]> window, Optional<int[]> stride, OptionalInt samples, OptionalLong seed,
                    int batchSize, OptionalInt steps, Optional<String> integration, Optional<String> layer,
                    Optional<Boolean> relu, Optional<String> composite, OptionalDouble epsilon,
                    OptionalDouble low, OptionalDouble high, Optional<Boolean> abs, OptionalDouble noiseStd,
                    Optional<String> noiseType, Optional<String> inner, Optional<String> exact,
                    OptionalDouble kernelWidth, Optional<String> surrogate, OptionalDouble alpha,
                    Optional<String> upsample) {
    public Flags {
        given = Set.copyOf(given);
    }
}
