package org.explain4j.viz;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A horizontal colour bar with tick labels, drawn in value order from left to right: {@code -L}
 * to {@code +L} for signed scales, {@code 0} to {@code L} for absolute and positive ones,
 * {@code -L} to {@code 0} for negative ones ({@code L} the scale's limit).
 */
public final class ColorBar {
    private static final int BAR = 14;
    private static final int TICK = 4;

    private ColorBar() {
    }

    /** The tick values: five for signed scales, three otherwise, one ({@code 0}) for an all-zero scale. */
    public static List<Double> ticks(Scale scale) {
        Checks.notNull(scale, "scale");
        double l = scale.limit();
        if (scale.isZero()) {
            return List.of(0.0);
        }
        return switch (scale.mode()) {
            case SIGNED -> List.of(-l, -l / 2, 0.0, l / 2, l);
            case NEGATIVE -> List.of(-l, -l / 2, 0.0);
            default -> List.of(0.0, l / 2, l);
        };
    }

    /** The colour bar of {@code scale}, {@code width} pixels wide, labelled with values. */
    public static BufferedImage render(Scale scale, int width) {
        List<Double> ticks = ticks(scale);
        List<String> labels = ticks.stream().map(t -> Numbers.format(t, 2)).toList();
        return draw(scale, Checks.atLeast(width, 60, "width"), ticks, labels);
    }

    /**
     * A colour bar for pictures that each have their own scale: labelled in fractions of each
     * picture's limit ({@code -max}, {@code 0}, {@code +max}).
     */
    public static BufferedImage renderRelative(SignMode mode, int width) {
        Scale unit = Scale.of(Checks.notNull(mode, "mode"), 1.0);
        List<Double> ticks = ticks(unit);
        List<String> labels = ticks.stream().map(t -> t == 0.0 ? "0" : t == 1.0 ? (mode == SignMode.SIGNED ? "+max" : "max")
                : t == -1.0 ? "-max" : "").toList();
        return draw(unit, Checks.atLeast(width, 60, "width"), ticks, labels);
    }

    private static BufferedImage draw(Scale scale, int width, List<Double> ticks, List<String> labels) {
        Font font = Canvas.font(11f, false);
        FontMetrics fm = Canvas.metrics(font);
        int pad = labels.stream().mapToInt(fm::stringWidth).max().orElse(0) / 2 + 2;
        int x0 = pad;
        int x1 = width - pad;
        int height = BAR + TICK + fm.getHeight() + 2;
        BufferedImage img = Canvas.blank(width, height);
        double lo = ticks.get(0);
        double hi = ticks.get(ticks.size() - 1);
        for (int x = x0; x < x1; x++) {
            double v = lo == hi ? lo : lo + (hi - lo) * (x - x0 + 0.5) / (x1 - x0);
            int rgb = scale.rgb(v);
            for (int y = 0; y < BAR; y++) {
                img.setRGB(x, y, rgb);
            }
        }
        Graphics2D g = Canvas.graphics(img);
        try {
            g.setColor(Canvas.MUTED);
            g.drawRect(x0, 0, x1 - x0 - 1, BAR - 1);
            g.setFont(font);
            for (int i = 0; i < ticks.size(); i++) {
                int x = lo == hi ? (x0 + x1) / 2 : (int) Math.round(x0 + (x1 - x0 - 1) * (ticks.get(i) - lo) / (hi - lo));
                g.drawLine(x, BAR, x, BAR + TICK - 1);
                Canvas.centred(g, labels.get(i), x, BAR + TICK + fm.getAscent());
            }
        } finally {
            g.dispose();
        }
        return img;
    }
}
