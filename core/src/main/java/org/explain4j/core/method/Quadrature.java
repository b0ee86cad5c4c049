package org.explain4j.core.method;

import java.util.Locale;
import org.explain4j.core.Explain4jException;

/**
 * Rules for integrating along a straight path from the baseline ({@code alpha = 0}) to the
 * input ({@code alpha = 1}): the points {@code alpha_k} and weights {@code w_k} with
 * {@code integral_0^1 g(alpha) d alpha ~ sum_k w_k g(alpha_k)}. The same rules and names as
 * Captum's approximation methods.
 */
public enum Quadrature {
    /** Gauss-Legendre nodes and weights mapped from [-1, 1] to [0, 1]. */
    GAUSS_LEGENDRE("gausslegendre"),
    /** Left Riemann sum: {@code alpha_k = k / n}. */
    RIEMANN_LEFT("riemann_left"),
    /** Right Riemann sum: {@code alpha_k = (k + 1) / n}. */
    RIEMANN_RIGHT("riemann_right"),
    /** Midpoint rule: {@code alpha_k = (k + 1/2) / n}. */
    RIEMANN_MIDDLE("riemann_middle"),
    /**
     * Trapezoid rule over {@code n} equally spaced points including both ends, with Captum's
     * weights: {@code 1/n} each, halved at both ends (they sum to {@code (n - 1)/n}, not 1; kept so
     * results match Captum number for number).
     */
    RIEMANN_TRAPEZOID("riemann_trapezoid");

    private final String label;

    Quadrature(String label) {
        this.label = label;
    }

    /** The command-line name, e.g. {@code gausslegendre}. */
    public String label() {
        return label;
    }

    /** Parses a command-line name. */
    public static Quadrature parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (Quadrature q : values()) {
            if (q.label.equals(t) || q.name().toLowerCase(Locale.ROOT).equals(t)) {
                return q;
            }
        }
        throw Explain4jException.usage("integration", "integration '" + text + "' is not one of gausslegendre, "
                + "riemann_left, riemann_right, riemann_middle, riemann_trapezoid");
    }

    /** The points of an {@code n}-point rule, ascending. */
    public double[] alphas(int n) {
        check(n);
        double[] a = new double[n];
        switch (this) {
            case GAUSS_LEGENDRE -> {
                double[][] nw = gaussLegendre(n);
                for (int k = 0; k < n; k++) {
                    a[k] = 0.5 * (nw[0][k] + 1);
                }
            }
            case RIEMANN_LEFT -> linspace(a, 0, 1 - 1.0 / n);
            case RIEMANN_RIGHT -> linspace(a, 1.0 / n, 1);
            case RIEMANN_MIDDLE -> linspace(a, 1.0 / (2 * n), 1 - 1.0 / (2 * n));
            case RIEMANN_TRAPEZOID -> linspace(a, 0, 1);
        }
        return a;
    }

    /** The weights of an {@code n}-point rule, matching {@link #alphas(int)}; they sum to 1 except for the trapezoid rule. */
    public double[] weights(int n) {
        check(n);
        double[] w = new double[n];
        switch (this) {
            case GAUSS_LEGENDRE -> {
                double[][] nw = gaussLegendre(n);
                for (int k = 0; k < n; k++) {
                    w[k] = 0.5 * nw[1][k];
                }
            }
            case RIEMANN_TRAPEZOID -> {
                if (n == 1) {
                    throw Explain4jException.usage("steps", "riemann_trapezoid needs steps of at least 2");
                }
                java.util.Arrays.fill(w, 1.0 / n);
                w[0] = 0.5 / n;
                w[n - 1] = 0.5 / n;
            }
            default -> java.util.Arrays.fill(w, 1.0 / n);
        }
        return w;
    }

    /**
     * The most points of the Gauss-Legendre rule: its nodes cost O(n^2) (Newton on the Legendre
     * recurrence for each node), about 3.5 s at 10000 on one core and 17 s at 20000, all before
     * the first model call, where nothing can stop them. The Riemann rules cost O(n).
     */
    public static final int MAX_GAUSS_LEGENDRE = 10_000;

    /** Refuses a number of points this rule does not take, naming {@code steps}. */
    public void checkSteps(int n) {
        if (n < 1) {
            throw Explain4jException.usage("steps", "steps must be at least 1 (got " + n + ")");
        }
        if (this == GAUSS_LEGENDRE && n > MAX_GAUSS_LEGENDRE) {
            throw Explain4jException.usage("steps", "steps " + n + " is over " + MAX_GAUSS_LEGENDRE + ", the most "
                    + "gausslegendre takes (its nodes cost steps^2 before the first model call); use integration "
                    + "riemann_trapezoid for more");
        }
    }

    private void check(int n) {
        checkSteps(n);
    }

    private static void linspace(double[] a, double from, double to) {
        int n = a.length;
        for (int k = 0; k < n; k++) {
            a[k] = n == 1 ? from : from + (to - from) * k / (n - 1);
        }
    }

    /** Nodes (ascending) and weights of the n-point Gauss-Legendre rule on [-1, 1], by Newton's method. */
    static double[][] gaussLegendre(int n) {
        double[] x = new double[n];
        double[] w = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++) {
            double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++) {
                double p0 = 1;
                double p1 = z;
                for (int k = 2; k <= n; k++) {
                    double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
                    p0 = p1;
                    p1 = p2;
                }
                double pn = n == 1 ? z : p1;
                double pm = n == 1 ? 1 : p0;
                dp = n * (z * pn - pm) / (z * z - 1);
                double dz = pn / dp;
                z -= dz;
                if (Math.abs(dz) < 1e-16) {
                    break;
                }
            }
            // Recompute the derivative at the converged node.
            double p0 = 1;
            double p1 = z;
            for (int k = 2; k <= n; k++) {
                double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
                p0 = p1;
                p1 = p2;
            }
            dp = n == 1 ? 1 : n * (z * p1 - p0) / (z * z - 1);
            double weight = 2 / ((1 - z * z) * dp * dp);
            x[i] = -z;
            x[n - 1 - i] = z;
            w[i] = weight;
            w[n - 1 - i] = weight;
        }
        return new double[][] {x, w};
    }
}
