package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.explain4j.core.Explain4jException;
import org.junit.jupiter.api.Test;

class NormalizationTest {
    @Test
    void percentile_interpolatesLinearlyBetweenOrderStatistics() {
        double[] v = new double[101];
        for (int i = 0; i <= 100; i++) {
            v[i] = 100 - i;
        }
        assertThat(Numbers.percentile(v, 50)).isEqualTo(50.0);
        assertThat(Numbers.percentile(v, 99.5)).isCloseTo(99.5, within(1e-12));
        assertThat(Numbers.percentile(new double[] {1, 2}, 25)).isEqualTo(1.25);
        assertThat(Numbers.percentile(new double[] {Double.NaN}, 50)).isEqualTo(0.0);
    }

    @Test
    void defaultScale_clipsAtThe995thPercentileOfMagnitudes() {
        double[] v = new double[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 2 == 0 ? 1 : -1) * (i + 1) / 1000.0;
        }
        v[999] = -1000.0; // one outlier must not wash out the picture
        Scale s = Normalization.defaults().scaleFor(v);
        double expected = Numbers.percentile(java.util.Arrays.stream(v).map(Math::abs).toArray(), 99.5);
        assertThat(s.limit()).isEqualTo(expected).isLessThan(1.0);
        assertThat(s.normalize(-1000.0)).isEqualTo(-1.0);
        assertThat(s.normalize(s.limit() / 2)).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void zeroMap_hasZeroLimit_andDrawsEverythingAsZeroWithoutNaN() {
        Scale s = Normalization.defaults().scaleFor(new double[16]);
        assertThat(s.isZero()).isTrue();
        assertThat(s.normalize(0.0)).isEqualTo(0.0);
        assertThat(s.normalize(3.0)).isEqualTo(0.0);
        assertThat(s.position(0.0)).isEqualTo(0.5);
        assertThat(s.describe()).isEqualTo("signed, per-image scale \u00b10 (all zero)");
    }

    @Test
    void sparseMap_belowTheClippedShare_fallsBackToTheMaximum() {
        double[] v = new double[1000];
        v[3] = 0.7;
        Scale s = Normalization.defaults().scaleFor(v);
        assertThat(s.limit()).as("a single non-zero value must still be visible").isEqualTo(0.7);
    }

    @Test
    void perImageScales_differ_sharedScaleIsOneLimitOverTheUnion() {
        double[] small = {0.1, -0.2, 0.05};
        double[] large = {2.0, -1.0, 0.5};
        Normalization n = Normalization.defaults().withClipPercentile(100);
        List<Scale> own = n.scalesFor(List.of(small, large));
        assertThat(own).extracting(Scale::limit).containsExactly(0.2, 2.0);
        assertThat(own).extracting(Scale::sharing).containsOnly(ScaleSharing.PER_IMAGE);
        List<Scale> shared = n.withSharing(ScaleSharing.SHARED).scalesFor(List.of(small, large));
        assertThat(shared).extracting(Scale::limit).containsExactly(2.0, 2.0);
        assertThat(shared.get(0).describe()).isEqualTo("signed, shared scale \u00b12 (max)");
        assertThat(shared.get(0).normalize(-0.2)).isCloseTo(-0.1, within(1e-12));
    }

    @Test
    void modes_showTheirPartOfTheValues() {
        double[] v = {-0.4, 0.1, 0.2};
        Normalization n = Normalization.defaults().withClipPercentile(100);
        assertThat(n.withMode(SignMode.ABSOLUTE).scaleFor(v).limit()).isEqualTo(0.4);
        assertThat(n.withMode(SignMode.POSITIVE).scaleFor(v).limit()).isEqualTo(0.2);
        Scale neg = n.withMode(SignMode.NEGATIVE).scaleFor(v);
        assertThat(neg.limit()).isEqualTo(0.4);
        assertThat(neg.normalize(-0.2)).isEqualTo(0.5);
        assertThat(neg.normalize(0.3)).isEqualTo(0.0);
        assertThat(neg.range()).isEqualTo("-0.4\u20130");
        assertThat(n.withMode(SignMode.POSITIVE).scaleFor(v).normalize(-0.4)).isEqualTo(0.0);
    }

    @Test
    void describe_statesModeSharingRangeAndPercentile() {
        Scale s = new Scale(SignMode.SIGNED, 0.3712, 99.5, ScaleSharing.PER_IMAGE);
        assertThat(s.describe()).isEqualTo("signed, per-image scale \u00b10.37 (99.5th pct)");
        assertThat(new Scale(SignMode.ABSOLUTE, 12345.0, 99, ScaleSharing.SHARED).describe())
                .isEqualTo("absolute, shared scale 0\u201312000 (99th pct)");
        assertThat(new Scale(SignMode.POSITIVE, 2.5e-6, 1, ScaleSharing.SHARED).describe())
                .isEqualTo("positive, shared scale 0\u20132.5e-06 (1st pct)");
        assertThat(Normalization.defaults().describe())
                .isEqualTo("signed values, per-image scale, clipped at the 99.5th pct of |values|");
    }

    @Test
    void invalidPercentile_isAUsageError() {
        assertThatThrownBy(() -> Normalization.defaults().withClipPercentile(0))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("clipPercentile");
        assertThatThrownBy(() -> Normalization.defaults().withClipPercentile(100.5))
                .isInstanceOf(Explain4jException.class);
        assertThatThrownBy(() -> Normalization.defaults().withMode(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mode");
    }

    @Property(tries = 300)
    void normalize_staysInRange(@ForAll @DoubleRange(min = -1e6, max = 1e6) double v,
                                @ForAll @DoubleRange(min = 0, max = 1e3) double limit) {
        for (SignMode m : SignMode.values()) {
            double n = Scale.of(m, limit).normalize(v);
            assertThat(n).isBetween(m == SignMode.SIGNED ? -1.0 : 0.0, 1.0);
            assertThat(Scale.of(m, limit).position(v)).isBetween(0.0, 1.0);
        }
    }
}
