package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

class HeatmapsTest {
    static {
        Fixtures.headless();
    }

    private static final HeatmapOptions OPTIONS = HeatmapOptions.defaults();

    private static Plane signedMap(int h, int w) {
        double[] v = new double[h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.sin(i * 0.7) * (i % 3 == 0 ? 2 : 1);
        }
        return Plane.of(h, w, v);
    }

    private static void assertOverlayOk(InputImage input, int width, int height) {
        Plane map = signedMap(input.height(), input.width());
        Scale s = Normalization.defaults().scaleFor(map.values());
        BufferedImage img = Heatmaps.overlay(input, map, s, width, height, OPTIONS);
        assertThat(img.getWidth()).isEqualTo(width);
        assertThat(img.getHeight()).isEqualTo(height);
        assertThat(Fixtures.distinctColours(img)).as("an overlay must not be blank").isGreaterThan(10);
        BufferedImage plain = input.render(width, height, Interpolation.NEAREST);
        int differing = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                differing += img.getRGB(x, y) != plain.getRGB(x, y) ? 1 : 0;
            }
        }
        assertThat(differing).as("the heatmap must show on the input").isGreaterThan(width * height / 4);
    }

    @Test
    void overlayOnGrayscale_hasTheDisplaySizeAndShowsTheMap() {
        InputImage grey = InputImage.ofBatchExample(Fixtures.digits(), 0, InputRange.AUTO);
        assertThat(grey.range()).as("[0, 16] digits are stretched, not divided by 255").isEqualTo(InputRange.MIN_MAX);
        assertOverlayOk(grey, 96, 96);
    }

    @Test
    void overlayOnRgb_hasTheDisplaySizeAndShowsTheMap() {
        double[] rgb = new double[3 * 6 * 10];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (i * 37 % 100) / 100.0;
        }
        InputImage img = InputImage.of(Tensor.ofDoubles(rgb, 3, 6, 10), InputRange.AUTO);
        assertThat(img.channels()).isEqualTo(3);
        assertThat(img.range()).isEqualTo(InputRange.UNIT);
        assertOverlayOk(img, 100, 60);
    }

    @Test
    void overlayOnNormalisedNegativeInput_isMinMaxRescaled() {
        double[] v = new double[3 * 8 * 8];
        for (int i = 0; i < v.length; i++) {
            v[i] = -2.1 + 4.5 * ((i * 13) % 64) / 63.0;
        }
        InputImage img = InputImage.of(Tensor.ofDoubles(v, 1, 3, 8, 8), InputRange.AUTO);
        assertThat(img.range()).isEqualTo(InputRange.MIN_MAX);
        double[] l = img.luminance().values();
        assertThat(java.util.Arrays.stream(l).min().getAsDouble()).isGreaterThanOrEqualTo(0.0);
        assertThat(java.util.Arrays.stream(l).max().getAsDouble()).isLessThanOrEqualTo(1.0);
        assertOverlayOk(img, 64, 64);
    }

    @Test
    void autoRange_readsUnitByteAndOtherRanges() {
        assertThat(InputRange.AUTO.resolve(0, 1)).isEqualTo(InputRange.UNIT);
        assertThat(InputRange.AUTO.resolve(0, 255)).isEqualTo(InputRange.BYTE);
        assertThat(InputRange.AUTO.resolve(3, 200)).isEqualTo(InputRange.BYTE);
        assertThat(InputRange.AUTO.resolve(0, 16)).isEqualTo(InputRange.MIN_MAX);
        assertThat(InputRange.AUTO.resolve(-1.2, 2.5)).isEqualTo(InputRange.MIN_MAX);
        assertThat(InputRange.BYTE.resolve(-1, 1)).isEqualTo(InputRange.BYTE);
        InputImage img = InputImage.of(Tensor.ofDoubles(new double[] {0, 51, 255, 300}, 2, 2), InputRange.AUTO);
        assertThat(img.range()).isEqualTo(InputRange.MIN_MAX);
        InputImage bytes = InputImage.of(Tensor.ofDoubles(new double[] {0, 51, 255, 102}, 2, 2), InputRange.AUTO);
        assertThat(bytes.luminance().values()).containsExactly(0.0, 0.2, 1.0, 0.4);
    }

    @Test
    void constantNegativeInput_isMidGreyNotDividedByZero() {
        InputImage img = InputImage.of(Tensor.full(org.explain4j.core.DType.FLOAT32, -3.0, 4, 4), InputRange.AUTO);
        assertThat(img.luminance().values()).containsOnly(0.5);
    }

    @Test
    void zeroMap_leavesTheInputVisible() {
        InputImage grey = InputImage.ofBatchExample(Fixtures.digits(), 0, InputRange.AUTO);
        Plane zero = Plane.of(8, 8, new double[64]);
        Scale s = Normalization.defaults().scaleFor(zero.values());
        BufferedImage img = Heatmaps.overlay(grey, zero, s, 32, 32, OPTIONS);
        BufferedImage plain = grey.render(32, 32, Interpolation.NEAREST);
        for (int i = 0; i < 32; i++) {
            int faded = InputImage.byteOf(0.35 + 0.55 * (plain.getRGB(i, i) & 0xff) / 255.0);
            assertThat(img.getRGB(i, i) & 0xffffff).as("faded grey input at (%d, %d)", i, i)
                    .isEqualTo(faded << 16 | faded << 8 | faded);
        }
    }

    @Test
    void gradCamLayerMap_isUpsampledBilinearlyToTheInputSize() {
        Plane cam = Plane.ofBatchExample(Fixtures.layerMap(), 0, ChannelReduction.SUM);
        assertThat(cam.height()).isEqualTo(4);
        Plane aligned = Heatmaps.alignTo(cam, 8, 8);
        assertThat(aligned.height()).isEqualTo(8);
        assertThat(aligned.width()).isEqualTo(8);
        // bilinear, half-pixel centres: output (3, 3) sits at layer (1.25, 1.25), inside cells (1..2, 1..2)
        double[] corners = {cam.get(1, 1), cam.get(1, 2), cam.get(2, 1), cam.get(2, 2)};
        double expected = 0.75 * (0.75 * corners[0] + 0.25 * corners[1]) + 0.25 * (0.75 * corners[2] + 0.25 * corners[3]);
        assertThat(aligned.get(3, 3)).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-12));
        InputImage grey = InputImage.ofBatchExample(Fixtures.digits(), 0, InputRange.AUTO);
        BufferedImage img = Heatmaps.overlay(grey, cam, Normalization.defaults().scaleFor(cam.values()), 80, 80,
                OPTIONS.withMode(SignMode.POSITIVE));
        assertThat(img.getWidth()).as("overlay width, expected the display size").isEqualTo(80);
        // the most attributed 8x8 pixel is drawn redder than the least attributed one (zero: plain grey input)
        int hi = 0;
        int lo = 0;
        for (int i = 1; i < 64; i++) {
            hi = aligned.get(i / 8, i % 8) > aligned.get(hi / 8, hi % 8) ? i : hi;
            lo = aligned.get(i / 8, i % 8) < aligned.get(lo / 8, lo % 8) ? i : lo;
        }
        int hot = img.getRGB(hi % 8 * 10 + 5, hi / 8 * 10 + 5);
        int cold = img.getRGB(lo % 8 * 10 + 5, lo / 8 * 10 + 5);
        assertThat(Pixels.r(hot) - Pixels.b(hot)).as("redness at the Grad-CAM maximum %s, expected above the minimum's %s",
                Pixels.hex(hot), Pixels.hex(cold)).isGreaterThan(Pixels.r(cold) - Pixels.b(cold) + 40);
    }

    @Test
    void heatmap_nearestKeepsTinyInputsCrisp() {
        Plane p = Plane.of(2, 2, new double[] {-1, 0, 0.5, 1});
        BufferedImage img = Heatmaps.render(p, Scale.of(SignMode.SIGNED, 1), 40, 40, Interpolation.NEAREST);
        assertThat(Fixtures.distinctColours(img)).isEqualTo(4);
        assertThat(img.getRGB(0, 0) & 0xffffff).isEqualTo(ColorMap.diverging().rgb(0));
        assertThat(img.getRGB(39, 0) & 0xffffff).as("zero is neutral").isEqualTo(ColorMap.diverging().rgb(0.5));
    }

    @Test
    void inputWithTwoChannels_isAShapeErrorThatSaysWhatIsExpected() {
        assertThatThrownBy(() -> InputImage.of(Tensor.ofDoubles(new double[32], 2, 4, 4), InputRange.AUTO))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("1 (grayscale) or 3 (RGB");
    }

    @Test
    void colorBar_ticksSpanTheScale_andLegendAddsACaption() {
        Scale s = new Scale(SignMode.SIGNED, 0.37, 99.5, ScaleSharing.PER_IMAGE);
        assertThat(ColorBar.ticks(s)).containsExactly(-0.37, -0.185, 0.0, 0.185, 0.37);
        assertThat(ColorBar.ticks(Scale.of(SignMode.ABSOLUTE, 2))).containsExactly(0.0, 1.0, 2.0);
        assertThat(ColorBar.ticks(Scale.of(SignMode.NEGATIVE, 2))).containsExactly(-2.0, -1.0, 0.0);
        assertThat(ColorBar.ticks(Scale.of(SignMode.SIGNED, 0))).containsExactly(0.0);
        BufferedImage bar = ColorBar.render(s, 240);
        assertThat(bar.getWidth()).isEqualTo(240);
        int mid = bar.getRGB(120, 5) & 0xffffff;
        int neutral = ColorMap.diverging().rgb(0.5);
        for (int shift : new int[] {16, 8, 0}) {
            assertThat(mid >> shift & 0xff).as("the middle of a signed bar is near zero's neutral colour %06x: %06x", neutral, mid)
                    .isCloseTo(neutral >> shift & 0xff, org.assertj.core.api.Assertions.within(4));
        }
        BufferedImage pic = Heatmaps.render(signedMap(8, 8), s, 64, 64, Interpolation.NEAREST);
        BufferedImage legend = Heatmaps.withLegend(pic, s);
        assertThat(legend.getHeight()).isGreaterThan(64 + bar.getHeight());
        assertThat(ColorBar.render(Scale.of(SignMode.SIGNED, 0), 100).getWidth()).isEqualTo(100);
    }
}
