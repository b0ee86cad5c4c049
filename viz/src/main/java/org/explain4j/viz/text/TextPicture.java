package org.explain4j.viz.text;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.explain4j.core.Explain4jException;
import org.explain4j.viz.ColorBar;
import org.explain4j.viz.Scale;

/**
 * Highlighted text as a raster picture: labelled lines of pieces (tokens or words), each piece on
 * a background of its value's colour on one shared scale, wrapped to the picture's width, with
 * the colour bar and the scale's description below. The same colours as
 * {@link org.explain4j.viz.HighlightedText}, for reports, READMEs and places HTML cannot go.
 */
public final class TextPicture {
    /** One labelled line: its pieces and their values (same length). */
    public record Line(String label, List<String> pieces, double[] values) {
        public Line {
            pieces = List.copyOf(pieces);
            values = values.clone();
            if (pieces.size() != values.length) {
                throw Explain4jException.shape("values", "a line needs one value per piece: " + pieces.size()
                        + " pieces, " + values.length + " values");
            }
        }
    }

    private static final int LABEL_WIDTH = 215;
    private static final int PAD = 12;
    private static final int ROW = 30;

    private TextPicture() {
    }

    /** Renders {@code lines} under {@code title} on {@code scale}, {@code width} pixels wide. */
    public static BufferedImage render(String title, List<Line> lines, Scale scale, int width) {
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
        Font bold = font.deriveFont(Font.BOLD, 15f);
        Font small = font.deriveFont(12f);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        // lay out: per line, the rows its pieces wrap onto
        List<List<int[]>> placed = new ArrayList<>();
        int y = PAD + (title.isEmpty() ? 0 : ROW);
        int right = width - PAD;
        List<Integer> lineTops = new ArrayList<>();
        for (Line l : lines) {
            List<int[]> boxes = new ArrayList<>();
            int x = PAD + LABEL_WIDTH;
            lineTops.add(y);
            for (String p : l.pieces()) {
                int w = fm.stringWidth(display(p)) + 8;
                if (x + w > right && x > PAD + LABEL_WIDTH) {
                    x = PAD + LABEL_WIDTH;
                    y += ROW;
                }
                boxes.add(new int[] {x, y, w});
                x += w + 4;
            }
            placed.add(boxes);
            y += ROW + 6;
        }
        pg.dispose();
        int barWidth = Math.min(320, width - 2 * PAD);
        BufferedImage bar = ColorBar.render(scale, barWidth);
        int height = y + bar.getHeight() + 28 + PAD;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        if (!title.isEmpty()) {
            g.setColor(new Color(0x222222));
            g.setFont(bold);
            g.drawString(title, PAD, PAD + 18);
        }
        for (int li = 0; li < lines.size(); li++) {
            Line l = lines.get(li);
            g.setFont(small);
            g.setColor(new Color(0x555555));
            g.drawString(l.label(), PAD, lineTops.get(li) + 19);
            g.setFont(font);
            for (int k = 0; k < l.pieces().size(); k++) {
                int[] b = placed.get(li).get(k);
                int rgb = scale.rgb(l.values()[k]);
                g.setColor(new Color(rgb));
                g.fillRoundRect(b[0], b[1] + 3, b[2], ROW - 6, 6, 6);
                g.setColor(new Color(0xcccccc));
                g.setStroke(new BasicStroke(0.6f));
                g.drawRoundRect(b[0], b[1] + 3, b[2], ROW - 6, 6, 6);
                g.setColor(luminance(rgb) < 0.5 ? Color.WHITE : new Color(0x111111));
                g.drawString(display(l.pieces().get(k)), b[0] + 4, b[1] + 20);
            }
        }
        g.drawImage(bar, PAD, y, null);
        g.setFont(small);
        g.setColor(new Color(0x555555));
        g.drawString("blue: lowers the target, red: raises it; " + scale.describe(), PAD, y + bar.getHeight() + 18);
        g.dispose();
        return img;
    }

    private static String display(String piece) {
        return piece.isEmpty() ? "\u2205" : piece;
    }

    private static double luminance(int rgb) {
        return (0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff)) / 255.0;
    }

    /** A short signed number for captions. */
    static String fmt(double v) {
        return String.format(Locale.ROOT, "%+.3g", v);
    }
}
