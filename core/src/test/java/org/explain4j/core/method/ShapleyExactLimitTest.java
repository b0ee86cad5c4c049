package org.explain4j.core.method;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FunctionModel;
import org.junit.jupiter.api.Test;

/** Beyond 24 features exact enumeration is refused, naming the argument that chose it. */
class ShapleyExactLimitTest {
    private static final int F = 25;

    private static FunctionModel model() {
        double[][] w = new double[1][F];
        w[0][3] = 1;
        return FunctionModel.linear(w, new double[] {0}, F);
    }

    private static Tensor x() {
        return Tensor.ofDoubles(new double[F], 1, F);
    }

    @Test
    void samplingWithExactAlways_namesExact_andPointsToSampling() {
        var m = new ShapleyValueSampling(model(), ShapleyValueSampling.Options.defaults()
                .withExact(ShapleyValueSampling.Exact.ALWAYS));
        assertThatThrownBy(() -> m.attribute(x(), Target.of(0)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("exact"))
                .hasMessageContaining("2^25").hasMessageContaining("exact=auto or never")
                .hasMessageNotContaining("use shapley-value-sampling");
    }

    @Test
    void shapleyExact_namesTheMethod_andPointsToSampling() {
        var m = new ShapleyExact(model(), ShapleyExact.Options.defaults());
        assertThatThrownBy(() -> m.attribute(x(), Target.of(0)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.argument()).isEqualTo("method"))
                .hasMessageContaining("2^25").hasMessageContaining("use shapley-value-sampling (--samples)");
    }
}
