package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.explain4j.core.metrics.MetricTesting.masked;
import static org.explain4j.core.metrics.MetricTesting.run;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ComplexityMetricsTest {
    private static final double[][] NO_MASK = {{0, 0, 0, 0}, {0, 0, 0, 0}};

    @Test
    void sparseness_oneHotIsThreeQuarters_uniformIsZero() {
        double[] v = run("sparseness", Map.of(), masked(new double[][] {{0, 0, 0, -2}, {1, 1, 1, 1}}, NO_MASK, 4));
        // v = (1e-7, 1e-7, 1e-7, 1 + 1e-7): (3 (1 + 1e-7) - 3e-7) / (4 (1 + 4e-7))
        assertThat(v[0]).isCloseTo(3.0 / (4 * (1 + 4e-7)), within(1e-12));
        assertThat(v[1]).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void complexity_uniformIsLnF_oneHotIsZero() {
        double[] v = run("complexity", Map.of(), masked(new double[][] {{2, -2, 2, 2}, {0, 5, 0, 0}}, NO_MASK, 4));
        assertThat(v[0]).isCloseTo(Math.log(4), within(1e-10));
        assertThat(v[1]).isCloseTo(0.0, within(1e-10));
    }

    @Test
    void effectiveComplexity_countsAboveEpsAfterNormalising() {
        double[][] a = {{0.5, 1e-6, -2, 0}, {0.5, 1e-6, -2, 0}};
        assertThat(run("effective-complexity", Map.of(), masked(a, NO_MASK, 4))).containsExactly(2.0, 2.0);
        // normalised |a| = (0.25, 5e-7, 1, 0): only 1 exceeds 0.3
        assertThat(run("effective-complexity", Map.of("eps", 0.3), masked(a, NO_MASK, 4))).containsExactly(1.0, 1.0);
    }
}
