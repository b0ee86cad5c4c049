package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.DType;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/**
 * The surrogate solvers (prepared once per design, then fitted per example) against exact
 * answers: the lasso's closed form on an orthogonal design and its optimality conditions on a
 * random weighted one, the ridge's normal equations solved directly, and KernelSHAP against
 * exact Shapley values (all coalitions; an additive model under sampling).
 */
class SurrogateSolversTest {
    /** 2^3 full factorial in {0, 1}: centred columns are orthogonal, each with squared norm 2. */
    private static double[][] factorial() {
        double[][] x = new double[8][3];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 3; j++) {
                x[i][j] = (i >> j) & 1;
            }
        }
        return x;
    }

    @Test
    void lasso_onAnOrthogonalDesign_isTheSoftThresholdedLeastSquaresSolution() {
        double[][] x = factorial();
        double[] y = new double[8];
        double[] w = new double[8];
        for (int i = 0; i < 8; i++) {
            y[i] = 1 + 2 * x[i][0] - 0.3 * x[i][1] + 0.05 * x[i][2];
            w[i] = 1;
        }
        // (1/n) Xc_j . yc = coef_j / 4 and (1/n) |Xc_j|^2 = 1/4, so beta_j = S(coef_j / 4, alpha) * 4.
        Surrogates.Fit fit = Surrogates.lasso(x, y, w, 0.01);
        assertThat(fit.coefficients()[0]).isCloseTo(1.96, within(1e-12));
        assertThat(fit.coefficients()[1]).isCloseTo(-0.26, within(1e-12));
        assertThat(fit.coefficients()[2]).isCloseTo(0.01, within(1e-12));
        assertThat(fit.intercept()).isCloseTo(1.875 - 0.5 * (1.96 - 0.26 + 0.01), within(1e-12));
        Surrogates.Fit sparse = Surrogates.lasso(x, y, w, 0.1);
        assertThat(sparse.coefficients()).containsExactly(new double[] {1.6, 0, 0}, within(1e-12));
    }

    @Test
    void lasso_onARandomWeightedDesign_meetsItsOptimalityConditions() {
        Random r = new Random(12);
        int n = 300;
        int p = 9;
        double[][] x = new double[n][p];
        double[] y = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                x[i][j] = r.nextBoolean() ? 1 : 0;
            }
            y[i] = 0.7 * x[i][0] - 1.3 * x[i][3] + 0.02 * x[i][5] + 0.3 * x[i][0] * x[i][1] + 0.1 * r.nextGaussian();
            w[i] = Math.exp(-r.nextDouble());
        }
        double alpha = 0.01;
        Surrogates.Fit fit = Surrogates.lasso(x, y, w, alpha);
        double[] beta = fit.coefficients();
        // Subgradient conditions of (1/(2 sw)) sum w (y - b - x beta)^2 + alpha |beta|_1 (intercept free).
        double sw = 0;
        for (double v : w) {
            sw += v;
        }
        int zeros = 0;
        int nonzeros = 0;
        for (int j = 0; j < p; j++) {
            double g = 0;
            for (int i = 0; i < n; i++) {
                double pred = fit.intercept();
                for (int k = 0; k < p; k++) {
                    pred += x[i][k] * beta[k];
                }
                g += w[i] * x[i][j] * (y[i] - pred);
            }
            g /= sw;
            if (beta[j] != 0) {
                nonzeros++;
                assertThat(g).as("feature %d", j).isCloseTo(alpha * Math.signum(beta[j]), within(1e-8));
            } else {
                zeros++;
                assertThat(Math.abs(g)).as("feature %d", j).isLessThanOrEqualTo(alpha + 1e-8);
            }
        }
        assertThat(zeros).as("alpha 0.01 zeroes the noise features").isPositive();
        assertThat(nonzeros).isGreaterThanOrEqualTo(2);
        // the intercept makes the weighted residuals sum to zero
        double rs = 0;
        for (int i = 0; i < n; i++) {
            double pred = fit.intercept();
            for (int k = 0; k < p; k++) {
                pred += x[i][k] * beta[k];
            }
            rs += w[i] * (y[i] - pred);
        }
        assertThat(rs).isCloseTo(0, within(1e-9));
    }

    @Test
    void ridge_solvesItsNormalEquations_andASharedDesignGivesTheSameFitAsAFreshOne() {
        Random r = new Random(5);
        int n = 60;
        int p = 4;
        double[][] x = new double[n][p];
        double[] w = new double[n];
        double[][] ys = new double[3][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                x[i][j] = r.nextBoolean() ? 1 : 0;
            }
            w[i] = 0.2 + r.nextDouble();
            for (double[] y : ys) {
                y[i] = r.nextGaussian();
            }
        }
        Surrogates.Design shared = new Surrogates.Design(x, w);
        for (double[] y : ys) {
            Surrogates.Fit fit = shared.ridge(y, 1.0);
            // (Xc^T W Xc + I) beta = Xc^T W yc, written out with the weighted means.
            double sw = 0;
            double my = 0;
            double[] mx = new double[p];
            for (int i = 0; i < n; i++) {
                sw += w[i];
                my += w[i] * y[i];
                for (int j = 0; j < p; j++) {
                    mx[j] += w[i] * x[i][j];
                }
            }
            my /= sw;
            for (int j = 0; j < p; j++) {
                mx[j] /= sw;
            }
            for (int j = 0; j < p; j++) {
                double lhs = fit.coefficients()[j];
                double rhs = 0;
                for (int i = 0; i < n; i++) {
                    double resid = (y[i] - my);
                    for (int k = 0; k < p; k++) {
                        resid -= (x[i][k] - mx[k]) * fit.coefficients()[k];
                    }
                    rhs += w[i] * (x[i][j] - mx[j]) * resid;
                }
                assertThat(lhs).as("ridge stationarity, feature %d", j).isCloseTo(rhs, within(1e-10));
            }
            assertThat(shared.ridge(y, 1.0).coefficients()).containsExactly(Surrogates.ridge(x, y, w, 1.0).coefficients());
            assertThat(shared.lasso(y, 0.01).coefficients()).containsExactly(Surrogates.lasso(x, y, w, 0.01).coefficients());
        }
    }

    @Test
    void kernelShap_withEveryCoalition_equalsExactShapleyValues_onANonlinearModel() {
        Random r = new Random(3);
        Model model = PerturbationPropertiesTest.nonlinear(r);
        Tensor x = Tensor.ofDoubles(PerturbationPropertiesTest.randomVector(r, 12), 2, 6);
        Baseline b = Baseline.of(Tensor.ofDoubles(PerturbationPropertiesTest.randomVector(r, 6), 1, 6));
        Target t = Target.of(new int[] {0, 2});
        Attribution kernel = new KernelShap(model, KernelShap.Options.defaults().withBaseline(b).withSamples(62))
                .attribute(x, t);
        Attribution exact = new ShapleyExact(model, ShapleyExact.Options.defaults().withBaseline(b)).attribute(x, t);
        assertThat(kernel.values().toDoubleArray()).containsExactly(exact.values().toDoubleArray(), within(1e-10));
        assertThat(kernel.values().toDoubleArray()[0]).isNotCloseTo(0, within(1e-3));
    }

    @Test
    void kernelShap_sampled_onAnAdditiveModel_isExact() {
        // f(x) = sum_j g_j(x_j): the Shapley value of j is g_j(x_j) - g_j(b_j), which every
        // full-rank coalition sample fits without error (30 features, 400 of 2^30 coalitions).
        int d = 30;
        Model model = FunctionModel.perExample("additive", ModelSignature.of(DType.FLOAT64, new int[] {d}, 1), v -> {
            double s = 0;
            for (int j = 0; j < d; j++) {
                s += Math.sin((j + 1) * v[j]) + 0.1 * j * v[j] * v[j];
            }
            return new double[] {s};
        });
        Random r = new Random(8);
        double[] xs = PerturbationPropertiesTest.randomVector(r, d);
        Attribution a = new KernelShap(model, KernelShap.Options.defaults().withSamples(400).withSeed(11))
                .attribute(Tensor.ofDoubles(xs, 1, d), Target.of(0));
        assertThat(a.options().get("enumerated")).isEqualTo(false);
        for (int j = 0; j < d; j++) {
            double expected = Math.sin((j + 1) * xs[j]) + 0.1 * j * xs[j] * xs[j];
            assertThat(a.values().getDouble(j)).as("feature %d", j).isCloseTo(expected, within(1e-6)); // the model sees float32-rounded values
        }
    }
}
