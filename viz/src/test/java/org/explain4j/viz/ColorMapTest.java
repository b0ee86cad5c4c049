package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

class ColorMapTest {
    private static int r(int rgb) {
        return rgb >> 16 & 0xff;
    }

    private static int g(int rgb) {
        return rgb >> 8 & 0xff;
    }

    private static int b(int rgb) {
        return rgb & 0xff;
    }

    private static double luminance(int rgb) {
        return 0.299 * r(rgb) + 0.587 * g(rgb) + 0.114 * b(rgb);
    }

    @Test
    void diverging_endsAreBlueAndRed_centreIsNeutralNearWhite() {
        ColorMap m = ColorMap.diverging();
        int lo = m.rgb(0.0);
        int hi = m.rgb(1.0);
        int mid = m.rgb(0.5);
        assertThat(b(lo)).as("most negative is blue: %06x", lo).isGreaterThan(r(lo) + 60);
        assertThat(r(hi)).as("most positive is red: %06x", hi).isGreaterThan(b(hi) + 40);
        assertThat(r(mid)).as("zero is neutral grey-white: %06x", mid).isEqualTo(g(mid)).isEqualTo(b(mid));
        assertThat(r(mid)).as("zero is near white").isGreaterThanOrEqualTo(240);
    }

    @Test
    void scaleOfZero_isTheNeutralCentre() {
        Scale s = Scale.of(SignMode.SIGNED, 2.0);
        assertThat(s.rgb(0.0)).isEqualTo(ColorMap.diverging().rgb(0.5));
        assertThat(s.rgb(-2.0)).isEqualTo(ColorMap.diverging().rgb(0.0));
        assertThat(s.rgb(5.0)).as("beyond the limit clips to the end").isEqualTo(ColorMap.diverging().rgb(1.0));
    }

    @Test
    void sequential_startsNearWhite_endsDark() {
        for (ColorMap m : new ColorMap[] {ColorMap.sequentialRed(), ColorMap.sequentialBlue()}) {
            assertThat(luminance(m.rgb(0.0))).as(m.name() + " start").isGreaterThan(240);
            assertThat(luminance(m.rgb(1.0))).as(m.name() + " end").isLessThan(80);
        }
        assertThat(r(ColorMap.sequentialRed().rgb(1.0))).isGreaterThan(b(ColorMap.sequentialRed().rgb(1.0)));
    }

    @Test
    void outOfRangeAndNaN_areClampedOrNeutral() {
        ColorMap m = ColorMap.diverging();
        assertThat(m.rgb(-3)).isEqualTo(m.rgb(0));
        assertThat(m.rgb(7)).isEqualTo(m.rgb(1));
        assertThat(m.rgb(Double.NaN)).isEqualTo(m.rgb(0.5));
        assertThat(m.hex(0.5)).isEqualTo("#f7f7f7");
    }

    @Test
    void modes_pickTheirMaps() {
        assertThat(SignMode.SIGNED.colorMap()).isSameAs(ColorMap.diverging());
        assertThat(SignMode.ABSOLUTE.colorMap()).isSameAs(ColorMap.sequentialRed());
        assertThat(SignMode.POSITIVE.colorMap()).isSameAs(ColorMap.sequentialRed());
        assertThat(SignMode.NEGATIVE.colorMap()).isSameAs(ColorMap.sequentialBlue());
    }

    @Property(tries = 200)
    void sequentialLightness_fallsMonotonically(@ForAll @DoubleRange(min = 0, max = 1) double a,
                                                @ForAll @DoubleRange(min = 0, max = 1) double b) {
        double lo = Math.min(a, b);
        double hi = Math.max(a, b);
        for (ColorMap m : new ColorMap[] {ColorMap.sequentialRed(), ColorMap.sequentialBlue()}) {
            assertThat(luminance(m.rgb(hi))).as(m.name() + " at %s vs %s", hi, lo).isLessThanOrEqualTo(luminance(m.rgb(lo)) + 1.0);
        }
    }

    @Property(tries = 200)
    void divergingLightness_peaksAtZero(@ForAll @DoubleRange(min = 0, max = 1) double t) {
        double centre = luminance(ColorMap.diverging().rgb(0.5));
        assertThat(luminance(ColorMap.diverging().rgb(t))).isLessThanOrEqualTo(centre);
    }
}
