package org.explain4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void factories_copyTheirArray() {
        float[] d = {1, 2, 3, 4};
        Tensor t = Tensor.ofFloats(d, 2, 2);
        d[0] = 99;
        assertThat(t.getDouble(0)).isEqualTo(1.0);
        t.toFloatArray()[1] = 42;
        assertThat(t.getDouble(1)).isEqualTo(2.0);
    }

    @Test
    void shapeMismatch_isAShapeError() {
        assertThatThrownBy(() -> Tensor.ofFloats(new float[5], 2, 3))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.SHAPE));
    }

    @Test
    void sliceAndConcat_areInverse() {
        Tensor t = Tensor.ofDoubles(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor back = Tensor.concat(List.of(t.slice(0, 1), t.slice(1, 3)));
        assertThat(back).isEqualTo(t);
        assertThat(t.example(2).toDoubleArray()).containsExactly(5, 6);
        assertThat(t.exampleShape()).containsExactly(2);
    }

    @Test
    void requireFinite_namesTheArgumentAndIndex() {
        Tensor t = Tensor.ofFloats(new float[] {0, Float.NaN}, 1, 2);
        assertThatThrownBy(() -> t.requireFinite("--input"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.NON_FINITE))
                .hasMessageContaining("--input").hasMessageContaining("index [0, 1]");
    }

    @Test
    void conversion_roundsToFloat() {
        Tensor t = Tensor.ofDoubles(new double[] {0.1}, 1).to(DType.FLOAT32);
        assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(t.getDouble(0)).isEqualTo((double) 0.1f);
    }
}
