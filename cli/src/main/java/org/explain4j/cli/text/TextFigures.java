package org.explain4j.cli.text;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.viz.HighlightedText;
import org.explain4j.viz.Normalization;
import org.explain4j.viz.Scale;
import org.explain4j.viz.SignMode;
import org.explain4j.viz.TextOptions;
import org.explain4j.viz.text.TextPicture;

/** The pictures and pages of a text run: per method tokens and words, the overview, tiled matrices. */
public final class TextFigures {
    private TextFigures() {
    }

    /** The tokens and the words of every text (side B once) on one scale, with the colour bar. */
    public static BufferedImage methodPicture(TextResult r, List<TextSide> sides) {
        List<TextPicture.Line> lines = new ArrayList<>();
        List<Double> all = new ArrayList<>();
        for (TextSide s : sides) {
            int count = s.tag().equals("B") ? 1 : s.texts().size();
            for (int n = 0; n < count; n++) {
                TokenizedText tt = s.texts().get(n);
                String lab = (s.tag().isEmpty() ? "" : s.tag() + " ") + "#" + n;
                double[] tv = r.tokens().get(s.tag()).get(n);
                double[] wv = r.words().get(s.tag()).get(n);
                lines.add(new TextPicture.Line(lab + " tokens", pieces(tt), tv));
                lines.add(new TextPicture.Line(lab + " words", wordTexts(tt), wv));
                for (double v : tv) {
                    all.add(v);
                }
                for (double v : wv) {
                    all.add(v);
                }
            }
        }
        Scale scale = Normalization.defaults().withClipPercentile(100.0)
                .scaleFor(all.stream().mapToDouble(Double::doubleValue).toArray());
        return TextPicture.render(r.method() + ": per token and per word", lines, scale, 1000);
    }

    /** The words and the tokens of every text, highlighted, as an HTML page with legends. */
    public static String methodHtml(TextResult r, List<TextSide> sides) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(esc(r.method())).append("</title></head>\n<body style=\"font-family:sans-serif;max-width:60em;"
                        + "margin:2em auto\">\n<h1>").append(esc(r.method())).append("</h1>\n");
        for (TextSide s : sides) {
            int count = s.tag().equals("B") ? 1 : s.texts().size();
            for (int n = 0; n < count; n++) {
                TokenizedText tt = s.texts().get(n);
                String lab = (s.tag().isEmpty() ? "" : s.tag() + " ") + "#" + n;
                TextOptions opts = TextOptions.defaults();
                HighlightedText words = HighlightedText.of(wordTexts(tt), r.words().get(s.tag()).get(n), opts);
                HighlightedText tokens = HighlightedText.of(pieces(tt), r.tokens().get(s.tag()).get(n), opts);
                b.append("<h2>").append(esc(lab)).append(" words</h2>\n").append(words.toHtmlFragment()).append('\n')
                        .append(words.legendHtml()).append('\n')
                        .append("<h2>").append(esc(lab)).append(" tokens</h2>\n").append(tokens.toHtmlFragment())
                        .append('\n').append(tokens.legendHtml()).append('\n');
            }
        }
        return b.append("</body></html>\n").toString();
    }

    /** Every method's words of example 0 (both sides), each method scaled to its largest |word|. */
    public static BufferedImage overview(List<TextSide> sides, List<TextResult> results) {
        List<TextPicture.Line> lines = new ArrayList<>();
        for (TextResult r : results) {
            double max = 0;
            for (TextSide s : sides) {
                for (double v : r.words().get(s.tag()).get(0)) {
                    max = Math.max(max, Math.abs(v));
                }
            }
            for (TextSide s : sides) {
                double[] w = r.words().get(s.tag()).get(0).clone();
                for (int i = 0; i < w.length; i++) {
                    w[i] = max > 0 ? w[i] / max : 0;
                }
                lines.add(new TextPicture.Line(r.method() + (s.tag().isEmpty() ? "" : " " + s.tag()),
                        wordTexts(s.texts().get(0)), w));
            }
        }
        return TextPicture.render("Which words drove the output? (example #0)", lines, Scale.of(SignMode.SIGNED, 1.0),
                1000);
    }

    /** A word's value: the sum of its tokens' values. */
    public static double[] wordValues(TokenizedText tt, double[] perToken) {
        List<TokenizedText.Word> ws = tt.words();
        double[] w = new double[ws.size()];
        for (TokenizedText.Word x : ws) {
            for (int k = 0; k < x.tokenCount(); k++) {
                w[x.index()] += perToken[x.firstToken() + k];
            }
        }
        return w;
    }

    public static List<String> pieces(TokenizedText tt) {
        return tt.tokens().stream().map(TokenizedText.Token::piece).toList();
    }

    public static List<String> wordTexts(TokenizedText tt) {
        return tt.words().stream().map(tt::surface).toList();
    }

    /** Pictures laid out left to right, wrapped at {@code width}. */
    public static BufferedImage tile(List<BufferedImage> pics, int width) {
        int x = 0;
        int y = 0;
        int rowH = 0;
        List<int[]> at = new ArrayList<>();
        int maxW = 0;
        for (BufferedImage p : pics) {
            if (x > 0 && x + p.getWidth() > width) {
                x = 0;
                y += rowH + 8;
                rowH = 0;
            }
            at.add(new int[] {x, y});
            x += p.getWidth() + 8;
            maxW = Math.max(maxW, x);
            rowH = Math.max(rowH, p.getHeight());
        }
        BufferedImage img = new BufferedImage(Math.max(1, maxW), y + rowH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int i = 0; i < pics.size(); i++) {
            g.drawImage(pics.get(i), at.get(i)[0], at.get(i)[1], null);
        }
        g.dispose();
        return img;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
