package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The choice between the incremental dense first layer and whole forward passes ({@code Perturbations.densePays}). */
class DensePaysTest {
    @AfterEach
    void clear() {
        System.clearProperty("explain4j.incremental.dense");
    }

    @Test
    void weighsTheSavedWorkAgainstTheWholeModel() {
        // tabular50: 50 -> 64, rest 64 x 32 + 32 x 3; one element a row saves 56% of 5344 multiply-adds
        assertThat(Perturbations.densePays(1, 50, 64, 2144)).isTrue();
        // ... half the elements a row (exact Shapley values) costs more than the layer
        assertThat(Perturbations.densePays(25, 50, 64, 2144)).isFalse();
        // the golden tabular MLP: 10 -> 32, rest 32 x 16 + 16 x 3; its 4 groups change 2.5 elements a row
        // on average: 320 - (160 + 32) = 128 saved of 880 (15%), under a quarter
        assertThat(Perturbations.densePays(2.5, 10, 32, 560)).isFalse();
        // one element a row there saves 224 of 880, just over a quarter
        assertThat(Perturbations.densePays(1, 10, 32, 560)).isTrue();
        // a heavy rest makes even a cheap update not worth the bookkeeping
        assertThat(Perturbations.densePays(1, 50, 64, 20000)).isFalse();
    }

    @Test
    void unknownRest_orTheOverride_keepHalfTheLayer() {
        assertThat(Perturbations.densePays(2.5, 10, 32, -1)).isTrue();
        assertThat(Perturbations.densePays(5, 10, 32, -1)).isTrue();
        assertThat(Perturbations.densePays(5.5, 10, 32, -1)).isFalse();
        System.setProperty("explain4j.incremental.dense", "always");
        assertThat(Perturbations.densePays(2.5, 10, 32, 560)).isTrue();
        assertThat(Perturbations.densePays(6, 10, 32, 560)).isFalse();
    }
}
