package org.explain4j.viz;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;

/**
 * Draws attribution maps: as colour heatmaps, as overlays on the input, and with a legend (colour
 * bar and a caption stating the scale).
 */
public final class Heatmaps {
    private static final double FADE_FLOOR = 0.35;
    private static final double FADE_SPAN = 0.55;
    private Heatmaps() {
    }

    /** {@code map} resampled to {@code width x height} by {@code interpolation} and coloured by {@code scale}. */
    public static BufferedImage render(Plane map, Scale scale, int width, int height, Interpolation interpolation) {
        Checks.notNull(map, "map");
        Checks.notNull(scale, "scale");
        Plane p = map.resize(Checks.atLeast(height, 1, "height"), Checks.atLeast(width, 1, "width"), interpolation);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, scale.rgb(p.get(y, x)));
            }
        }
        return img;
    }

    /**
     * {@code map} at the input's resolution: unchanged when the sizes match, otherwise (a layer map
     * such as Grad-CAM's {@code (h, w)}) upsampled bilinearly to {@code height x width}.
     */
    public static Plane alignTo(Plane map, int height, int width) {
        Checks.notNull(map, "map");
        return map.resize(height, width, Interpolation.BILINEAR);
    }

    /**
     * The heatmap blended over the input, drawn at {@code width x height}. The input is shown as a
     * faded grey ({@code grey = 0.35 + 0.55 * luminance}), so its own colours cannot be mistaken for
     * attribution and the heatmap's colours stay recognisable over black backgrounds; the map is
     * first aligned to the input ({@link #alignTo}), then both are enlarged with
     * {@code options.upsampling()}, and each pixel is mixed as {@code (1 - a) * grey + a * colour}
     * with {@code a = overlayOpacity * |normalised value|}, so zero attribution leaves the input visible.
     */
    public static BufferedImage overlay(InputImage input, Plane map, Scale scale, int width, int height,
                                        HeatmapOptions options) {
        Checks.notNull(input, "input");
        Checks.notNull(scale, "scale");
        Checks.notNull(options, "options");
        Checks.atLeast(width, 1, "width");
        Checks.atLeast(height, 1, "height");
        Interpolation up = options.upsampling();
        Plane values = alignTo(map, input.height(), input.width()).resize(height, width, up);
        Plane grey = input.luminance().resize(height, width, up);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double v = values.get(y, x);
                double a = options.overlayOpacity() * Math.abs(scale.normalize(v));
                double base = FADE_FLOOR + FADE_SPAN * grey.get(y, x);
                int c = scale.rgb(v);
                img.setRGB(x, y, blend(base, c >> 16 & 0xff, a) << 16 | blend(base, c >> 8 & 0xff, a) << 8
                        | blend(base, c & 0xff, a));
            }
        }
        return img;
    }

    private static int blend(double grey, int colour, double a) {
        return InputImage.byteOf((1 - a) * grey + a * colour / 255.0);
    }

    /**
     * {@code picture} with a colour bar and a caption stating the scale beneath it, e.g.
     * {@code signed, per-image scale ±0.37 (99.5th pct)}.
     */
    public static BufferedImage withLegend(BufferedImage picture, Scale scale) {
        Checks.notNull(picture, "picture");
        Font font = Canvas.font(12f, false);
        FontMetrics fm = Canvas.metrics(font);
        String caption = scale.describe();
        int width = Math.max(picture.getWidth(), Math.min(fm.stringWidth(caption) + 8, 4 * picture.getWidth())) + 16;
        BufferedImage bar = ColorBar.render(scale, Math.max(120, Math.min(width - 16, 320)));
        int height = picture.getHeight() + 8 + bar.getHeight() + fm.getHeight() + 14;
        BufferedImage out = Canvas.blank(width, height);
        Graphics2D g = Canvas.graphics(out);
        try {
            g.drawImage(picture, (width - picture.getWidth()) / 2, 8, null);
            int y = 8 + picture.getHeight() + 6;
            g.drawImage(bar, (width - bar.getWidth()) / 2, y, null);
            g.setFont(font);
            Canvas.centred(g, Canvas.fit(caption, fm, width - 8), width / 2, y + bar.getHeight() + fm.getAscent() + 2);
        } finally {
            g.dispose();
        }
        return out;
    }
}
