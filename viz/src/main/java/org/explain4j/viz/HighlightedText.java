package org.explain4j.viz;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * Words coloured by attribution, as HTML: each word's background is its value on the scale's
 * colour map (diverging: blue negative, neutral zero, red positive), and hovering shows the value
 * and the number of pieces summed. Everything from the caller is HTML-escaped.
 *
 * @param words the words, sub-word pieces already grouped and summed
 * @param scale the scale the colours were drawn with
 */
public record HighlightedText(List<Word> words, Scale scale) {
    public HighlightedText {
        words = Checks.copyOf(words, "words");
        Checks.notNull(scale, "scale");
    }

    /** Groups {@code tokens} into words by {@code options.scheme()} and scales the words' sums. */
    public static HighlightedText of(List<String> tokens, double[] attributions, TextOptions options) {
        Checks.notNull(options, "options");
        List<Word> words = options.scheme().group(tokens, attributions);
        double[] sums = words.stream().mapToDouble(Word::attribution).toArray();
        return new HighlightedText(words, options.normalization().scaleFor(sums));
    }

    /**
     * The text of example {@code n} of a token attribution of shape {@code (N, T)}, or
     * {@code (N, T, D)} for attributions to token embeddings, which are summed over {@code D}.
     */
    public static HighlightedText of(Attribution attribution, int n, List<String> tokens, TextOptions options) {
        Tensor v = Checks.notNull(attribution, "attribution").values();
        int[] s = v.shape();
        if ((s.length != 2 && s.length != 3) || n < 0 || n >= s[0]) {
            throw Explain4jException.shape("attribution", "expected token attributions of shape (N, T) or (N, T, D) with example "
                    + n + " inside the batch, but got " + Tensor.shapeString(s));
        }
        int t = s[1];
        int d = s.length == 3 ? s[2] : 1;
        double[] all = v.toDoubleArray();
        double[] perToken = new double[t];
        for (int i = 0; i < t; i++) {
            for (int k = 0; k < d; k++) {
                perToken[i] += all[(n * t + i) * d + k];
            }
        }
        return of(tokens, perToken, options);
    }

    /** The words as an HTML fragment: a {@code <p>} of inline-styled {@code <span>}s, no external resources. */
    public String toHtmlFragment() {
        StringBuilder b = new StringBuilder("<p class=\"e4j-text\" style=\"line-height:2;font-family:sans-serif\">");
        for (int i = 0; i < words.size(); i++) {
            Word w = words.get(i);
            int rgb = scale.rgb(w.attribution());
            String value = (w.attribution() > 0 ? "+" : "") + Numbers.format(w.attribution(), 3);
            String title = w.text() + ": " + value + (w.tokenCount() > 1 ? " (sum of " + w.tokenCount() + " pieces)" : "");
            b.append(i > 0 ? " " : "")
                    .append("<span style=\"background-color:").append(String.format("#%06x", rgb))
                    .append(";color:").append(luminance(rgb) < 0.5 ? "#ffffff" : "#111111")
                    .append(";padding:2px 3px;border-radius:3px\" title=\"").append(Html.escape(title)).append("\">")
                    .append(Html.escape(w.text())).append("</span>");
        }
        return b.append("</p>").toString();
    }

    /** A one-line legend: the colour ramp and the scale, e.g. {@code signed, per-image scale ±0.8 (max)}. */
    public String legendHtml() {
        return "<p class=\"e4j-legend\" style=\"font:12px sans-serif;color:#555\"><span style=\"display:inline-block;"
                + "width:120px;height:10px;vertical-align:middle;border:1px solid #999;background:"
                + Html.gradient(scale.colorMap()) + "\"></span> " + Html.escape(scale.describe()) + "</p>";
    }

    /** A complete HTML page with {@code title}, the words and the legend. */
    public String toHtmlDocument(String title) {
        Checks.notNull(title, "title");
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Html.escape(title)
                + "</title></head>\n<body style=\"font-family:sans-serif;max-width:60em;margin:2em auto\">\n<h1>"
                + Html.escape(title) + "</h1>\n" + toHtmlFragment() + "\n" + legendHtml() + "\n</body></html>\n";
    }

    /** Writes {@link #toHtmlDocument} to {@code file} as UTF-8. */
    public void writeHtml(Path file, String title) {
        Pictures.write(toHtmlDocument(title).getBytes(StandardCharsets.UTF_8), file);
    }

    private static double luminance(int rgb) {
        return (0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff)) / 255.0;
    }
}
