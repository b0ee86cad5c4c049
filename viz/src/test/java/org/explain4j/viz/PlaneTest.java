package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

class PlaneTest {
    private static final Tensor TWO_CHANNELS = Tensor.ofDoubles(new double[] {1, -2, 3, -4, -1, 5, 0, 4}, 2, 2, 2);

    @Test
    void sum_keepsSigns_sumOfAbsolutesDoesNot() {
        assertThat(Plane.of(TWO_CHANNELS, ChannelReduction.SUM).values()).containsExactly(0, 3, 3, 0);
        assertThat(Plane.of(TWO_CHANNELS, ChannelReduction.SUM_OF_ABSOLUTES).values()).containsExactly(2, 7, 3, 8);
        assertThat(ChannelReduction.defaultFor(SignMode.ABSOLUTE)).isEqualTo(ChannelReduction.SUM_OF_ABSOLUTES);
        assertThat(ChannelReduction.defaultFor(SignMode.SIGNED)).isEqualTo(ChannelReduction.SUM);
    }

    @Test
    void shapes_hwChwAndBatch_areAccepted() {
        assertThat(Plane.of(Tensor.ofDoubles(new double[] {1, 2, 3, 4, 5, 6}, 2, 3), ChannelReduction.SUM).width()).isEqualTo(3);
        assertThat(Plane.of(TWO_CHANNELS.reshape(1, 2, 2, 2), ChannelReduction.SUM).values()).containsExactly(0, 3, 3, 0);
        Tensor batch = Tensor.ofDoubles(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 1, 2, 2);
        assertThat(Plane.ofBatchExample(batch, 1, ChannelReduction.SUM).values()).containsExactly(5, 6, 7, 8);
        assertThat(Plane.ofBatchExample(batch.reshape(2, 2, 2), 0, ChannelReduction.SUM).values()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void wrongRankOrExample_isAShapeErrorNamingTheShape() {
        assertThatThrownBy(() -> Plane.of(Tensor.ofDoubles(new double[4], 4), ChannelReduction.SUM))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("(4)");
        assertThatThrownBy(() -> Plane.ofBatchExample(Tensor.ofDoubles(new double[8], 2, 2, 2), 2, ChannelReduction.SUM))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("outside a batch of 2");
    }

    @Test
    void nearest_enlargesEachPixelIntoACrispBlock() {
        Plane p = Plane.of(2, 2, new double[] {1, 2, 3, 4}).resize(4, 4, Interpolation.NEAREST);
        assertThat(p.values()).containsExactly(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4);
    }

    @Test
    void bilinear_usesHalfPixelCentres_andKeepsTheRange() {
        Plane p = Plane.of(1, 2, new double[] {0, 1}).resize(1, 4, Interpolation.BILINEAR);
        // output centres 0.5, 1.5, 2.5, 3.5 map to input -0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
        assertThat(p.values()).containsExactly(new double[] {0, 0.25, 0.75, 1}, within(1e-12));
        Plane constant = Plane.of(3, 3, new double[] {2, 2, 2, 2, 2, 2, 2, 2, 2}).resize(7, 5, Interpolation.BILINEAR);
        assertThat(constant.values()).containsOnly(2.0);
    }

    @Test
    void resizeToTheSameSize_returnsTheSamePlane() {
        Plane p = Plane.of(2, 2, new double[] {1, 2, 3, 4});
        assertThat(p.resize(2, 2, Interpolation.BILINEAR)).isSameAs(p);
    }
}
