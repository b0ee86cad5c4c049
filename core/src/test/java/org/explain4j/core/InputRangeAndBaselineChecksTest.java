package org.explain4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/**
 * A float64 value beyond float32's range is refused for a float32 model (it would be infinite
 * there); a baseline distribution whose rows are not of the examples' shape is refused naming the
 * baseline and the shape to pass.
 */
class InputRangeAndBaselineChecksTest {
    @Test
    void requireFloat32Range_refusesBeyondFloatMax_inEitherSign_namingTheIndex() {
        double beyond = 3.5e38;
        Tensor t = Tensor.ofDoubles(new double[] {1, 2, 3, 4, 5, -beyond}, 2, 3);
        assertThatThrownBy(() -> t.requireFloat32Range("--input")).isInstanceOfSatisfying(Explain4jException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.NON_FINITE);
            assertThat(e.argument()).isEqualTo("--input");
            assertThat(e.getMessage()).startsWith("--input has the value -3.5E38 at index [1, 2], outside float32's range")
                    .contains("scale or clip the input").doesNotContain("\n");
        });
        Tensor positive = Tensor.ofDoubles(new double[] {beyond}, 1, 1);
        assertThatThrownBy(() -> positive.requireFloat32Range("x")).isInstanceOf(Explain4jException.class);
        // the largest float itself, and its negative, are in range
        Tensor edge = Tensor.ofDoubles(new double[] {Float.MAX_VALUE, -Float.MAX_VALUE, 0}, 1, 3);
        assertThat(edge.requireFloat32Range("x")).isSameAs(edge);
        // just beyond the largest float (it would round to infinity)
        Tensor just = Tensor.ofDoubles(new double[] {Math.nextUp((double) Float.MAX_VALUE)}, 1, 1);
        assertThatThrownBy(() -> just.requireFloat32Range("x")).isInstanceOf(Explain4jException.class);
    }

    @Test
    void aFloat32Model_refusesAFloat64InputBeyondFloat32_aFloat64ModelTakesIt() {
        Tensor x = Tensor.ofDoubles(new double[] {1, 1e39}, 1, 2);
        Model f32 = FunctionModel.perExample("f32", ModelSignature.of(DType.FLOAT32, new int[] {2}, 1), v -> new double[] {v[0]});
        assertThatThrownBy(() -> f32.signature().validate(x, "input")).isInstanceOfSatisfying(Explain4jException.class,
                e -> assertThat(e.getMessage()).startsWith("input has the value 1.0E39 at index [0, 1]"));
        Model f64 = FunctionModel.perExample("f64", ModelSignature.of(DType.FLOAT64, new int[] {2}, 1), v -> new double[] {v[0]});
        f64.signature().validate(x, "input");
    }

    @Test
    void aBaselineDistributionOfAnotherRowShape_isRefusedNamingTheShapeToPass() {
        Tensor x = Tensor.ofDoubles(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Baseline wrong = Baseline.distribution(Tensor.ofDoubles(new double[8], 4, 2));
        assertThatThrownBy(() -> wrong.rowsFor(x)).isInstanceOfSatisfying(Explain4jException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.SHAPE);
            assertThat(e.argument()).isEqualTo("baseline");
            assertThat(e.getMessage()).isEqualTo("baseline distribution has shape (4, 2) but examples have shape (3); "
                    + "pass shape (K, 3)");
        });
        // rows without the K axis are refused the same way (rank one short)
        Baseline flat = Baseline.distribution(Tensor.ofDoubles(new double[] {1, 2, 3}, 3));
        assertThatThrownBy(() -> flat.rowsFor(x)).isInstanceOfSatisfying(Explain4jException.class,
                e -> assertThat(e.getMessage()).startsWith("baseline distribution has shape (3) but"));
        // K rows of the right shape: every example gets all K rows
        Baseline right = Baseline.distribution(Tensor.ofDoubles(new double[] {0, 0, 0, 1, 1, 1}, 2, 3));
        double[][][] rows = right.rowsFor(x);
        assertThat(rows).hasNumberOfRows(2);
        assertThat(rows[1][1]).containsExactly(1, 1, 1);
        // an empty distribution is refused when made
        assertThatThrownBy(() -> Baseline.distribution(Tensor.ofDoubles(new double[0], 0, 3)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.getMessage())
                        .isEqualTo("a baseline distribution needs at least one row"));
    }

    @Test
    void aMethodGivenADistributionOfAnotherShape_oneLineBaselineError() {
        Model m = FunctionModel.linear(new double[][] {{1, 2, 3}}, new double[1], 3);
        Tensor x = Tensor.ofDoubles(new double[] {1, 2, 3}, 1, 3);
        assertThatThrownBy(() -> MethodCatalog.create("feature-ablation", m,
                Map.of("baseline", Baseline.distribution(Tensor.ofDoubles(new double[4], 2, 2))), ProgressListener.NONE)
                .attribute(x, Target.of(0))).isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.argument()).isEqualTo("baseline");
                    assertThat(e.getMessage()).startsWith("baseline distribution has shape (2, 2)").doesNotContain("\n");
                });
    }
}
