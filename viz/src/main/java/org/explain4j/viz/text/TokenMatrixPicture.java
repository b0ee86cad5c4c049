package org.explain4j.viz.text;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import org.explain4j.core.Explain4jException;
import org.explain4j.viz.ColorMap;

/**
 * A token-by-token matrix (attention, attention rollout) as a picture: row i, column j is how much
 * token i attends to (draws from) token j, white 0 to dark red at the matrix's maximum, tokens
 * labelled on the left and along the top.
 */
public final class TokenMatrixPicture {
    private TokenMatrixPicture() {
    }

    /** Renders {@code m} (T x T, non-negative) with {@code tokens} as labels, cells of {@code cell} pixels. */
    public static BufferedImage render(String title, List<String> tokens, double[][] m, int cell) {
        int t = tokens.size();
        if (m.length != t || (t > 0 && m[0].length != t)) {
            throw Explain4jException.shape("matrix", "a token matrix must be " + t + " x " + t);
        }
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, Math.min(13, cell - 2)));
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        int label = 0;
        for (String s : tokens) {
            label = Math.max(label, fm.stringWidth(s));
        }
        pg.dispose();
        label += 10;
        int top = 24 + label;
        int width = label + t * cell + 20;
        int height = top + t * cell + 34;
        BufferedImage img = new BufferedImage(Math.max(width, 260), height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), height);
        g.setColor(new Color(0x222222));
        g.setFont(font.deriveFont(Font.BOLD, 13f));
        g.drawString(title, 6, 16);
        double max = 0;
        for (double[] row : m) {
            for (double v : row) {
                max = Math.max(max, v);
            }
        }
        ColorMap cm = ColorMap.sequentialRed();
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                g.setColor(cm.color(max > 0 ? Math.max(0, Math.min(1, m[i][j] / max)) : 0));
                g.fillRect(label + j * cell, top + i * cell, cell, cell);
            }
        }
        g.setFont(font);
        g.setColor(new Color(0x333333));
        for (int i = 0; i < t; i++) {
            String s = tokens.get(i);
            g.drawString(s, label - 6 - fm.stringWidth(s), top + i * cell + cell / 2 + fm.getAscent() / 2 - 1);
        }
        AffineTransform keep = g.getTransform();
        for (int j = 0; j < t; j++) {
            g.setTransform(keep);
            g.translate(label + j * cell + cell / 2 + fm.getAscent() / 2 - 1, top - 6);
            g.rotate(-Math.PI / 2);
            g.drawString(tokens.get(j), 0, 0);
        }
        g.setTransform(keep);
        g.setColor(new Color(0x555555));
        g.setFont(font.deriveFont(11f));
        g.drawString(String.format(Locale.ROOT, "rows draw from columns; red = %.2g",
                max), 6, top + t * cell + 20);
        g.dispose();
        return img;
    }
}
