package org.explain4j.viz;

/**
 * How tokens are grouped and coloured.
 *
 * @param scheme        how the tokenizer marks word pieces (default {@link SubwordScheme#NONE})
 * @param normalization values to colours; the percentile is taken over the words' summed values
 *                      (default: signed, clipped at the maximum, since a sentence has few words)
 */
public record TextOptions(SubwordScheme scheme, Normalization normalization) {
    public TextOptions {
        Checks.notNull(scheme, "scheme");
        Checks.notNull(normalization, "normalization");
    }

    /** No grouping; signed, full colour at the largest |word attribution|. */
    public static TextOptions defaults() {
        return new TextOptions(SubwordScheme.NONE, Normalization.defaults().withClipPercentile(100.0));
    }

    public TextOptions withScheme(SubwordScheme s) {
        return new TextOptions(s, normalization);
    }

    public TextOptions withNormalization(Normalization n) {
        return new TextOptions(scheme, n);
    }
}
