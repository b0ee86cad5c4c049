package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.explain4j.core.Explain4jException;
import org.junit.jupiter.api.Test;

/** The shared helpers against hand-computed values. */
class MetricHelpersTest {
    @Test
    void baselines_areMinMaxMeanNumberOfTheArrayAndOneUniformDrawPerCall() {
        double[] x = {-3.19, 0.5, 2.0, 1.0};
        assertThat(PerturbBaseline.parse("black", "perturb-baseline").of(x, null)).isEqualTo(-3.19);
        assertThat(PerturbBaseline.parse("white", "perturb-baseline").of(x, null)).isEqualTo(2.0);
        assertThat(PerturbBaseline.parse("mean", "perturb-baseline").of(x, null)).isCloseTo(0.0775, within(1e-12));
        assertThat(PerturbBaseline.parse("-0.5", "perturb-baseline").of(x, null)).isEqualTo(-0.5);
        PerturbBaseline u = PerturbBaseline.parse("uniform", "perturb-baseline");
        SplittableRandom a = new SplittableRandom(3);
        SplittableRandom b = new SplittableRandom(3);
        double first = u.of(x, a);
        assertThat(first).isEqualTo(b.nextDouble()).isBetween(0.0, 1.0);
        assertThat(u.of(x, a)).isNotEqualTo(first);
        assertThatThrownBy(() -> PerturbBaseline.parse("grey", "perturb-baseline"))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("perturb-baseline 'grey'");
    }

    @Test
    void spearmanWithTies_usesAverageRanks() {
        // ranks of x: 1, 2.5, 2.5, 4; of y: 1, 2, 3, 4 -> scipy.stats.spearmanr gives 0.9486832980505138
        assertThat(Correlations.ranks(new double[] {1, 2, 2, 5})).containsExactly(1, 2.5, 2.5, 4);
        assertThat(Correlations.spearman(new double[] {1, 2, 2, 5}, new double[] {1, 2, 3, 4}))
                .isCloseTo(0.9486832980505139, within(1e-12));
        assertThat(Correlations.pearson(new double[] {1, 2, 3}, new double[] {2, 4, 7})).isCloseTo(0.9933992677987828,
                within(1e-12));
        assertThat(Correlations.pearson(new double[] {1, 1, 1}, new double[] {2, 4, 7})).isNaN();
    }

    @Test
    void patchesOfAnImageNotAMultipleOfThePatch_padFloorHalfBeforeAndCeilHalfAfter() {
        // 1 x 3 x 5 image, p = 2: rows r = 1 -> (0, 1); columns r = 1 -> (0, 1): padded 4 x 6, 6 patches
        PatchGrid g = new PatchGrid(1, 3, 5, 2);
        assertThat(g.count()).isEqualTo(6);
        double[] x = new double[15];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        double[] e = g.padEdge(x);
        assertThat(e).hasSize(24);
        assertThat(java.util.Arrays.copyOfRange(e, 0, 6)).containsExactly(0, 1, 2, 3, 4, 4);
        assertThat(java.util.Arrays.copyOfRange(e, 18, 24)).containsExactly(10, 11, 12, 13, 14, 14);
        double[] z = g.padZero(x);
        assertThat(java.util.Arrays.copyOfRange(z, 18, 24)).containsOnly(0.0);
        assertThat(g.indices(2)).containsExactly(4, 5, 10, 11);
        double[] back = new double[15];
        g.crop(e, back);
        assertThat(back).containsExactly(x);
        // 1 x 4 x 5, p = 3: rows r = 2 -> (1, 1), columns r = 1 -> (0, 1)
        PatchGrid h = new PatchGrid(1, 4, 5, 3);
        assertThat(h.paddedHeight()).isEqualTo(6);
        assertThat(h.padZero(new double[20])).hasSize(36);
        double[] ones = new double[20];
        java.util.Arrays.fill(ones, 1);
        double[] pz = h.padZero(ones);
        assertThat(pz[0]).isZero();
        assertThat(pz[6]).isEqualTo(1.0);
    }

    @Test
    void riseKernel_isTheReflectedGaussianFilterOfADirac() {
        // scipy.ndimage.gaussian_filter of a 5-dirac (sigma 1): 1-D centre 0.3989..., edge 0.0584...; the 2-D kernel is their outer product
        double[][] k = CausalMetric.kernel(5, 1.0);
        double s = 0;
        for (double[] row : k) {
            for (double v : row) {
                s += v;
            }
        }
        assertThat(s).isCloseTo(1.0, within(1e-12));
        assertThat(k[2][2]).isCloseTo(0.15915589174187972, within(1e-12));
        assertThat(k[0][2]).isCloseTo(0.023307469938064367, within(1e-12));
        assertThat(CausalMetric.reflect(-1, 4)).isZero();
        assertThat(CausalMetric.reflect(5, 4)).isEqualTo(2);
        assertThat(CausalMetric.reflect(-9, 4)).isEqualTo(0);
    }

    @Test
    void imputation_solvesTheNeighbourWeightedMeanSystem() {
        // 3 x 3 image, only the centre unknown: its value is the weighted mean of its 8 neighbours.
        double[] x = {1, 2, 3, 4, 100, 6, 7, 8, 9};
        double[] out = Road.impute(x, 1, 3, 3, new int[] {4}, 0, null);
        double expected = ((2 + 4 + 6 + 8) / 6.0 + (1 + 3 + 7 + 9) / 12.0) / (4 / 6.0 + 4 / 12.0);
        assertThat(out[4]).isCloseTo(expected, within(1e-12));
        assertThat(out[0]).isEqualTo(1.0);
    }

    @Test
    void imputationOfManyPixels_everyImputedPixelIsTheWeightedMeanOfItsNeighbours() {
        // 2 channels of 45 x 45 with 1,500 unknown pixels (conjugate gradients) and 300 (dense Cholesky)
        java.util.Random r = new java.util.Random(3);
        int h = 45;
        int w = 45;
        double[] x = new double[2 * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
        }
        for (int k : new int[] {1500, 300}) {
            int[] unknown = MetricRandom.sampleWithoutReplacement(new SplittableRandom(k), h * w, k);
            assertThat(k > Road.DENSE_LIMIT).isEqualTo(k == 1500);
            double[] out = Road.impute(x, 2, h, w, unknown, 0, null);
            double worst = 0;
            for (int ch = 0; ch < 2; ch++) {
                for (int u : unknown) {
                    int i = u / w;
                    int j = u % w;
                    double num = 0;
                    double den = 0;
                    for (int di = -1; di <= 1; di++) {
                        for (int dj = -1; dj <= 1; dj++) {
                            int ni = i + di;
                            int nj = j + dj;
                            if ((di == 0 && dj == 0) || ni < 0 || ni >= h || nj < 0 || nj >= w) {
                                continue;
                            }
                            double wt = di != 0 && dj != 0 ? 1 / 12.0 : 1 / 6.0;
                            num += wt * out[ch * h * w + ni * w + nj];
                            den += wt;
                        }
                    }
                    worst = Math.max(worst, Math.abs(out[ch * h * w + u] - num / den));
                }
            }
            assertThat(worst).as("largest residual with %d unknown pixels", k).isLessThan(1e-9);
        }
    }

    @Test
    void runningBaseline_equalsTheBaselineRecomputedAfterEveryReplacement() {
        java.util.Random r = new java.util.Random(5);
        for (String name : new String[] {"black", "white", "mean", "0.25"}) {
            PerturbBaseline b = PerturbBaseline.parse(name, "perturb-baseline");
            double[] x = new double[50];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextGaussian();
            }
            PerturbBaseline.Running run = b.running(x);
            for (int step = 0; step < 40; step++) {
                // alternately the baseline itself (what the metrics write) and an arbitrary value
                double v = step % 2 == 0 ? run.value(null) : r.nextGaussian() * 3;
                run.set(r.nextInt(x.length), v);
                assertThat(run.value(null)).as("%s after step %d", name, step).isCloseTo(b.of(x, null), within(1e-12));
            }
        }
    }
}
