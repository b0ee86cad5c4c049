package org.explain4j.viz.audio;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.explain4j.viz.BarChartOptions;
import org.explain4j.viz.ColorMap;
import org.explain4j.viz.FeatureBarChart;
import org.explain4j.viz.Scale;
import org.explain4j.viz.SignMode;

/**
 * Pictures of an attribution over time: the waveform with the attribution as a coloured band
 * (and, for a streaming detector, its per-chunk output as a line), the spectrogram with the
 * attribution overlaid, and bars of the attribution summed per segment. Colours are the
 * diverging blue-white-red map: red raises the explained output, blue lowers it; the scale is
 * symmetric, at the 99.5th percentile of the absolute column values (stated on the picture).
 */
public final class AudioPictures {
    /** Picture width in pixels. */
    public static final int WIDTH = 1000;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final Color WAVE = new Color(0x444444);
    private static final Color GRID = new Color(0xdddddd);
    private static final Color TEXT = new Color(0x222222);
    private static final Color LINE = new Color(0x1a7f37);

    private AudioPictures() {
    }

    /**
     * The waveform of {@code x} at {@code rate}; under it the attribution {@code attr} (one value
     * per sample, or null) as a colour band, tinting the waveform's background too; and where
     * {@code chunkOutput} is given, that output per chunk of {@code chunkSamples} as a line
     * labelled {@code outputLabel}.
     */
    public static BufferedImage waveform(float[] x, int rate, double[] attr, double[] chunkOutput, int chunkSamples,
                                         String title, String outputLabel) {
        int plotW = WIDTH - LEFT - RIGHT;
        int titleH = 24;
        int waveH = 120;
        int lineH = chunkOutput == null ? 0 : 70;
        int bandH = attr == null ? 0 : 26;
        int axisH = 34;
        int legendH = attr == null ? 0 : 22;
        int h = titleH + waveH + lineH + bandH + axisH + legendH + 8;
        BufferedImage img = blank(WIDTH, h);
        Graphics2D g = graphics(img);
        g.setFont(font(13, true));
        g.drawString(title, 8, 17);
        int y0 = titleH;
        double[] cols = attr == null ? null : columns(attr, plotW);
        double scale = cols == null ? 0 : scale(cols);
        // waveform background tinted by the attribution
        if (cols != null) {
            for (int c = 0; c < plotW; c++) {
                Color col = colour(cols[c], scale);
                g.setColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 90));
                g.fillRect(LEFT + c, y0, 1, waveH);
            }
        }
        g.setColor(GRID);
        g.drawLine(LEFT, y0 + waveH / 2, LEFT + plotW, y0 + waveH / 2);
        g.drawRect(LEFT, y0, plotW, waveH);
        double peak = 1e-9;
        for (float v : x) {
            peak = Math.max(peak, Math.abs(v));
        }
        g.setColor(WAVE);
        for (int c = 0; c < plotW; c++) {
            int a = (int) ((long) c * x.length / plotW);
            int b = Math.max(a + 1, (int) ((long) (c + 1) * x.length / plotW));
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            for (int i = a; i < Math.min(b, x.length); i++) {
                lo = Math.min(lo, x[i]);
                hi = Math.max(hi, x[i]);
            }
            if (lo > hi) {
                continue;
            }
            int ya = y0 + waveH / 2 - (int) Math.round(hi / peak * (waveH / 2 - 4));
            int yb = y0 + waveH / 2 - (int) Math.round(lo / peak * (waveH / 2 - 4));
            g.drawLine(LEFT + c, ya, LEFT + c, Math.max(ya, yb));
        }
        g.setFont(font(11, false));
        g.setColor(TEXT);
        g.drawString("waveform", 6, y0 + 16);
        g.drawString(String.format(Locale.ROOT, "peak %.2f", peak), 6, y0 + 30);
        y0 += waveH;
        if (chunkOutput != null) {
            int top = y0 + 8;
            int lh = lineH - 14;
            g.setColor(GRID);
            g.drawRect(LEFT, top, plotW, lh);
            float[] dash = {4f, 4f};
            g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
            g.drawLine(LEFT, top + lh / 2, LEFT + plotW, top + lh / 2);
            g.setStroke(new BasicStroke(2f));
            g.setColor(LINE);
            Path2D.Double p = new Path2D.Double();
            for (int k = 0; k < chunkOutput.length; k++) {
                double t0 = (double) k * chunkSamples / x.length;
                double t1 = Math.min(1.0, (double) (k + 1) * chunkSamples / x.length);
                double yy = top + lh - Math.max(0, Math.min(1, chunkOutput[k])) * lh;
                if (k == 0) {
                    p.moveTo(LEFT + t0 * plotW, yy);
                } else {
                    p.lineTo(LEFT + t0 * plotW, yy);
                }
                p.lineTo(LEFT + t1 * plotW, yy);
            }
            g.draw(p);
            g.setStroke(new BasicStroke(1f));
            g.setColor(TEXT);
            g.setFont(font(11, false));
            g.drawString(outputLabel, 6, top + lh / 2 + 4);
            g.drawString("1", LEFT - 12, top + 10);
            g.drawString("0", LEFT - 12, top + lh);
            y0 += lineH;
        }
        if (cols != null) {
            for (int c = 0; c < plotW; c++) {
                g.setColor(colour(cols[c], scale));
                g.fillRect(LEFT + c, y0 + 3, 1, bandH - 6);
            }
            g.setColor(GRID);
            g.drawRect(LEFT, y0 + 3, plotW, bandH - 6);
            g.setColor(TEXT);
            g.setFont(font(11, false));
            g.drawString("attribution", 6, y0 + 17);
            y0 += bandH;
        }
        axis(g, y0, plotW, x.length / (double) rate);
        y0 += axisH;
        if (cols != null) {
            legend(g, y0, scale, "per pixel column (" + String.format(Locale.ROOT, "%.1f ms",
                    1000.0 * x.length / rate / plotW) + ")");
        }
        g.dispose();
        return img;
    }

    /**
     * The spectrogram of {@code x} (grey, loud is dark; 32 ms frames every 10 ms at 16 kHz) with the
     * attribution summed per frame overlaid as a translucent colour over the frame's column.
     */
    public static BufferedImage spectrogram(float[] x, int rate, double[] attr, String title) {
        int nfft = Integer.highestOneBit(Math.max(64, rate / 32));
        int hop = Math.max(1, rate / 100);
        Spectrogram s = Spectrogram.of(x, rate, nfft, hop);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = 160;
        int titleH = 24;
        int h = titleH + plotH + 34 + (attr == null ? 0 : 22) + 8;
        BufferedImage img = blank(WIDTH, h);
        Graphics2D g = graphics(img);
        g.setFont(font(13, true));
        g.drawString(title, 8, 17);
        double[] frameAttr = null;
        double scale = 0;
        if (attr != null) {
            frameAttr = new double[s.frames()];
            for (int i = 0; i < attr.length; i++) {
                frameAttr[Math.min(s.frames() - 1, (i + hop / 2) / hop)] += attr[i];
            }
            scale = scale(frameAttr);
        }
        for (int c = 0; c < plotW; c++) {
            int f = Math.min(s.frames() - 1, (int) ((long) c * s.frames() / plotW));
            Color tint = frameAttr == null ? null : colour(frameAttr[f], scale);
            double alpha = frameAttr == null || scale == 0 ? 0 : Math.min(1, Math.abs(frameAttr[f]) / scale) * 0.6;
            for (int r = 0; r < plotH; r++) {
                int bin = Math.min(s.bins() - 1, (int) ((long) (plotH - 1 - r) * s.bins() / plotH));
                double v = Math.max(0, Math.min(1, 1 + s.db()[f][bin] / 60.0)); // 0 dB -> 1, -60 dB -> 0
                int grey = (int) Math.round(255 * (1 - v));
                int rr = grey;
                int gg = grey;
                int bb = grey;
                if (tint != null) {
                    rr = (int) Math.round(grey * (1 - alpha) + tint.getRed() * alpha);
                    gg = (int) Math.round(grey * (1 - alpha) + tint.getGreen() * alpha);
                    bb = (int) Math.round(grey * (1 - alpha) + tint.getBlue() * alpha);
                }
                img.setRGB(LEFT + c, titleH + r, rr << 16 | gg << 8 | bb);
            }
        }
        g.setColor(GRID);
        g.drawRect(LEFT, titleH, plotW, plotH);
        g.setColor(TEXT);
        g.setFont(font(11, false));
        g.drawString(String.format(Locale.ROOT, "%.0f kHz", rate / 2000.0), 6, titleH + 12);
        g.drawString("0 Hz", 6, titleH + plotH);
        axis(g, titleH + plotH, plotW, x.length / (double) rate);
        if (frameAttr != null) {
            legend(g, titleH + plotH + 34, scale, "per 10 ms frame");
        }
        g.dispose();
        return img;
    }

    /**
     * A model's log-mel input [mel][frame] (grey, high energy dark; low mels at the bottom) with
     * the attribution of each cell {@code attr} [mel][frame] overlaid as a translucent colour, for
     * a clip of {@code seconds}.
     */
    public static BufferedImage melAttribution(double[][] logmel, double[][] attr, double seconds, String title) {
        int mels = logmel.length;
        int frames = logmel[0].length;
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = Math.max(120, Math.min(240, mels * 4));
        int titleH = 24;
        BufferedImage img = blank(WIDTH, titleH + plotH + 34 + 22 + 8);
        Graphics2D g = graphics(img);
        g.setFont(font(13, true));
        g.drawString(title, 8, 17);
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (double[] row : logmel) {
            for (double v : row) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        double[] all = new double[mels * frames];
        for (int m = 0; m < mels; m++) {
            System.arraycopy(attr[m], 0, all, m * frames, frames);
        }
        double scale = scale(all);
        for (int c = 0; c < plotW; c++) {
            int f = Math.min(frames - 1, (int) ((long) c * frames / plotW));
            for (int r = 0; r < plotH; r++) {
                int m = Math.min(mels - 1, (int) ((long) (plotH - 1 - r) * mels / plotH));
                double v = hi > lo ? (logmel[m][f] - lo) / (hi - lo) : 0;
                int grey = (int) Math.round(255 * (1 - v));
                Color tint = colour(attr[m][f], scale);
                double alpha = scale == 0 ? 0 : Math.min(1, Math.abs(attr[m][f]) / scale) * 0.75;
                int rr = (int) Math.round(grey * (1 - alpha) + tint.getRed() * alpha);
                int gg = (int) Math.round(grey * (1 - alpha) + tint.getGreen() * alpha);
                int bb = (int) Math.round(grey * (1 - alpha) + tint.getBlue() * alpha);
                img.setRGB(LEFT + c, titleH + r, rr << 16 | gg << 8 | bb);
            }
        }
        g.setColor(GRID);
        g.drawRect(LEFT, titleH, plotW, plotH);
        g.setColor(TEXT);
        g.setFont(font(11, false));
        g.drawString("mel " + (mels - 1), 6, titleH + 12);
        g.drawString("mel 0", 6, titleH + plotH);
        axis(g, titleH + plotH, plotW, seconds);
        legend(g, titleH + plotH + 34, scale, "per cell (mel band x frame)");
        g.dispose();
        return img;
    }

    /** The attribution summed over consecutive segments of {@code segment} samples. */
    public static double[] segmentSums(double[] attr, int segment) {
        int n = (attr.length + segment - 1) / segment;
        double[] out = new double[n];
        for (int i = 0; i < attr.length; i++) {
            out[i / segment] += attr[i];
        }
        return out;
    }

    /** Labels "0.60-0.70 s" of the segments of {@link #segmentSums}. */
    public static List<String> segmentLabels(int samples, int segment, int rate) {
        List<String> out = new ArrayList<>();
        for (int s = 0; s < samples; s += segment) {
            out.add(String.format(Locale.ROOT, "%.2f-%.2f s", s / (double) rate, Math.min(samples, s + segment) / (double) rate));
        }
        return out;
    }

    /**
     * Bars of the {@code top} segments by absolute attribution: summed over each segment, or its
     * mean per sample where {@code mean} (for methods that give every sample of a window or group
     * the window's or group's value).
     */
    public static FeatureBarChart segmentBars(double[] attr, int rate, int segment, int top, boolean mean, String title) {
        double[] sums = segmentSums(attr, segment);
        if (mean) {
            for (int i = 0; i < sums.length; i++) {
                sums[i] /= Math.min(segment, attr.length - i * segment);
            }
        }
        return FeatureBarChart.of(segmentLabels(attr.length, segment, rate), sums,
                BarChartOptions.defaults().withTitle(title).withTopK(Math.min(top, sums.length))
                        .withValueLabel(mean ? "mean attribution per sample of the segment" : "attribution summed over the segment"));
    }

    /** The indices of the {@code k} segments with the largest summed attribution (most positive first). */
    public static int[] topSegments(double[] attr, int segment, int k) {
        double[] sums = segmentSums(attr, segment);
        Integer[] idx = new Integer[sums.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(sums[b], sums[a]));
        int n = Math.min(k, idx.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    /** The sum of {@code attr} over each of {@code width} columns. */
    static double[] columns(double[] attr, int width) {
        double[] c = new double[width];
        for (int i = 0; i < attr.length; i++) {
            c[(int) ((long) i * width / attr.length)] += attr[i];
        }
        return c;
    }

    /** The 99.5th percentile of |v| (0 when all are 0). */
    static double scale(double[] v) {
        double[] a = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        Arrays.sort(a);
        if (a.length == 0) {
            return 0;
        }
        return a[Math.min(a.length - 1, (int) Math.ceil(0.995 * a.length) - 1)];
    }

    /** The diverging colour of {@code v} on a symmetric scale {@code +-scale} (white at 0): viz's signed {@link Scale}. */
    static Color colour(double v, double scale) {
        return new Color(Scale.of(SignMode.SIGNED, scale).rgb(v));
    }

    private static void axis(Graphics2D g, int y, int plotW, double seconds) {
        g.setColor(TEXT);
        g.setFont(font(11, false));
        double step = seconds <= 2 ? 0.25 : seconds <= 6 ? 0.5 : seconds <= 20 ? 2 : Math.ceil(seconds / 10);
        for (double t = 0; t <= seconds + 1e-9; t += step) {
            int x = LEFT + (int) Math.round(t / seconds * plotW);
            g.drawLine(x, y, x, y + 5);
            String s = String.format(Locale.ROOT, step < 1 ? "%.2f" : "%.0f", t);
            g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, y + 18);
        }
        g.drawString("time (s)", LEFT + plotW - 50, y + 31);
    }

    private static void legend(Graphics2D g, int y, double scale, String unit) {
        int w = 160;
        for (int i = 0; i < w; i++) {
            g.setColor(ColorMap.diverging().color(i / (w - 1.0)));
            g.fillRect(LEFT + i, y + 4, 1, 12);
        }
        g.setColor(TEXT);
        g.setFont(font(11, false));
        g.drawString(String.format(Locale.ROOT, "-%.3g (lowers the output) to +%.3g (raises it); scale: 99.5th percentile "
                + "of |attribution| %s", scale, scale, unit), LEFT + w + 8, y + 14);
    }

    private static BufferedImage blank(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    private static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_TEXT_ANTIALIASING, java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(java.awt.RenderingHints.KEY_ANTIALIASING, java.awt.RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(TEXT);
        return g;
    }

    private static Font font(float size, boolean bold) {
        return new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, 1).deriveFont(size);
    }

    /** Stacks pictures vertically (same width). */
    public static BufferedImage stack(List<BufferedImage> parts) {
        int h = parts.stream().mapToInt(BufferedImage::getHeight).sum();
        int w = parts.stream().mapToInt(BufferedImage::getWidth).max().orElse(1);
        BufferedImage img = blank(w, Math.max(1, h));
        Graphics2D g = img.createGraphics();
        int y = 0;
        for (BufferedImage p : parts) {
            g.drawImage(p, 0, y, null);
            y += p.getHeight();
        }
        g.dispose();
        return img;
    }
}
