package org.explain4j.viz;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.explain4j.core.Explain4jException;

/**
 * How a tokenizer marks the pieces of a word, so pieces can be grouped back into words.
 *
 * <ul>
 *   <li>{@link #NONE}: every token is a word.</li>
 *   <li>{@link #WORDPIECE} (BERT): a piece starting with {@code ##} continues the previous word
 *       ({@code play ##ing} is {@code playing}).</li>
 *   <li>{@link #SENTENCEPIECE} (T5, ALBERT, XLM-R, Llama): a piece starting with {@code ▁} (U+2581)
 *       starts a word, any other piece continues one ({@code ▁play ing} is {@code playing}); a bare
 *       {@code ▁} starts a word that the following pieces fill.</li>
 *   <li>{@link #BYTE_LEVEL_BPE} (GPT-2, RoBERTa): the same with {@code Ġ} (U+0120) as the word-start mark.</li>
 * </ul>
 *
 * <p>In every scheme the first token starts a word, and special tokens ({@code [CLS]},
 * {@code [SEP]}, {@code <s>}, {@code </s>}, {@code <pad>}, {@code <|endoftext|>}, ...) are words of
 * their own, so {@code </s>} never sticks to the word before it.
 */
public enum SubwordScheme {
    NONE(""),
    WORDPIECE("##"),
    SENTENCEPIECE("\u2581"),
    BYTE_LEVEL_BPE("\u0120");

    private static final Pattern SPECIAL = Pattern.compile("\\[[A-Za-z0-9_]+\\]|<[^<>\\s]+>");

    private final String marker;

    SubwordScheme(String marker) {
        this.marker = marker;
    }

    /**
     * The words of {@code tokens}, each with the sum of its pieces' attributions
     * ({@code attributions[i]} belongs to {@code tokens.get(i)}).
     */
    public List<Word> group(List<String> tokens, double[] attributions) {
        List<String> toks = Checks.copyOf(tokens, "tokens");
        Checks.notNull(attributions, "attributions");
        if (toks.size() != attributions.length) {
            throw Explain4jException.shape("attributions", "there are " + toks.size() + " tokens but "
                    + attributions.length + " attributions; pass one attribution per token");
        }
        List<Word> words = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        double sum = 0.0;
        int first = 0;
        boolean open = false;
        boolean openIsSpecial = false;
        for (int i = 0; i < toks.size(); i++) {
            String t = toks.get(i);
            boolean special = SPECIAL.matcher(t).matches();
            boolean starts = !open || special || openIsSpecial || startsWord(t);
            if (starts && open) {
                words.add(new Word(text.toString(), sum, first, i - first));
                text.setLength(0);
                sum = 0.0;
            }
            if (starts) {
                first = i;
                open = true;
                openIsSpecial = special;
            }
            text.append(special ? t : strip(t));
            sum += attributions[i];
        }
        if (open) {
            words.add(new Word(text.toString(), sum, first, toks.size() - first));
        }
        return List.copyOf(words);
    }

    private boolean startsWord(String token) {
        return switch (this) {
            case NONE -> true;
            case WORDPIECE -> !token.startsWith(marker);
            default -> token.startsWith(marker);
        };
    }

    private String strip(String token) {
        return this != NONE && token.startsWith(marker) ? token.substring(marker.length()) : token;
    }
}
