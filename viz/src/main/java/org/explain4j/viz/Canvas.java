package org.explain4j.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Java2D helpers: a white canvas with antialiased text in the logical font {@code SansSerif},
 * which every JVM maps to an installed font, headless or not.
 */
final class Canvas {
    static final Color TEXT = new Color(0x222222);
    static final Color MUTED = new Color(0x555555);

    private Canvas() {
    }

    static Font font(float size, boolean bold) {
        return new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, 1).deriveFont(size);
    }

    /** A new RGB image filled with white. */
    static BufferedImage blank(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return img;
    }

    /** Graphics on {@code img} with antialiased text and shapes; the caller disposes it. */
    static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setColor(TEXT);
        return g;
    }

    /** Metrics of {@code font}, measured without a screen. */
    static FontMetrics metrics(Font font) {
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = graphics(scratch);
        try {
            return g.getFontMetrics(font);
        } finally {
            g.dispose();
        }
    }

    /** {@code text}, cut and ended with an ellipsis if wider than {@code maxWidth}. */
    static String fit(String text, FontMetrics fm, int maxWidth) {
        if (fm.stringWidth(text) <= maxWidth) {
            return text;
        }
        String ell = "\u2026";
        int n = text.length();
        while (n > 0 && fm.stringWidth(text.substring(0, n) + ell) > maxWidth) {
            n--;
        }
        return text.substring(0, n) + ell;
    }

    /** Draws {@code text} centred horizontally on {@code cx} with its baseline at {@code baseline}. */
    static void centred(Graphics2D g, String text, int cx, int baseline) {
        g.drawString(text, cx - g.getFontMetrics().stringWidth(text) / 2, baseline);
    }
}
