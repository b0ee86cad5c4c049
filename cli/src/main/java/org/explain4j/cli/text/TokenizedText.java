package org.explain4j.cli.text;

import java.util.ArrayList;
import java.util.List;

/**
 * A text and its tokens. Each token carries its span in the text in Unicode code points
 * ({@code start}, {@code end}, as Python's {@code str} indices and the tokenizer report them);
 * {@link #utf16Start}/{@link #utf16End} give the same span in Java/JavaScript string indices.
 *
 * @param text      the original text
 * @param tokens    the tokens, special tokens included, without padding
 * @param truncated whether tokens were cut at the maximum length
 */
public record TokenizedText(String text, List<Token> tokens, boolean truncated) {
    public TokenizedText {
        tokens = List.copyOf(tokens);
    }

    /**
     * One token.
     *
     * @param piece   the token as the vocabulary spells it (e.g. {@code ##ing})
     * @param id      its id
     * @param typeId  its token type (segment) id
     * @param special whether the post-processor added it ([CLS], [SEP], ...)
     * @param word    the index of the word it belongs to, -1 for special tokens
     * @param start   first code point of its span in the text, -1 for special tokens
     * @param end     code point after its span, -1 for special tokens
     */
    public record Token(String piece, long id, long typeId, boolean special, int word, int start, int end) {
    }

    /** A word: consecutive tokens with the same word index, and its span (combining marks after it included). */
    public record Word(int index, int firstToken, int tokenCount, int start, int end) {
    }

    /** Number of tokens. */
    public int size() {
        return tokens.size();
    }

    /** The span of token {@code i} in UTF-16 code units (Java's String indices), -1 for special tokens. */
    public int utf16Start(int i) {
        Token t = tokens.get(i);
        return t.start() < 0 ? -1 : text.offsetByCodePoints(0, t.start());
    }

    /** See {@link #utf16Start}. */
    public int utf16End(int i) {
        Token t = tokens.get(i);
        return t.end() < 0 ? -1 : text.offsetByCodePoints(0, t.end());
    }

    /** The part of the original text token {@code i} covers ("" for special tokens). */
    public String surface(int i) {
        int s = utf16Start(i);
        return s < 0 ? "" : text.substring(s, utf16End(i));
    }

    /** The words, in order; special tokens belong to none. */
    public List<Word> words() {
        List<Word> out = new ArrayList<>();
        int i = 0;
        while (i < tokens.size()) {
            Token t = tokens.get(i);
            if (t.special()) {
                i++;
                continue;
            }
            int j = i + 1;
            int end = t.end();
            while (j < tokens.size() && !tokens.get(j).special() && tokens.get(j).word() == t.word()) {
                end = Math.max(end, tokens.get(j).end());
                j++;
            }
            out.add(new Word(out.size(), i, j - i, t.start(), withMarks(end)));
            i = j;
        }
        return out;
    }

    /**
     * {@code end} moved past combining marks that follow it: a normaliser that strips accents
     * drops a combining accent from every token's span, but it belongs to the word it decorates.
     */
    private int withMarks(int end) {
        int count = text.codePointCount(0, text.length());
        int e = end;
        while (e < count) {
            int type = Character.getType(text.codePointAt(text.offsetByCodePoints(0, e)));
            if (type != Character.NON_SPACING_MARK && type != Character.ENCLOSING_MARK
                    && type != Character.COMBINING_SPACING_MARK) {
                break;
            }
            e++;
        }
        return e;
    }

    /** The original text of {@code w}. */
    public String surface(Word w) {
        return text.substring(text.offsetByCodePoints(0, w.start()), text.offsetByCodePoints(0, w.end()));
    }

    /** The word index of every token (-1 for special tokens), numbered as {@link #words()}. */
    public int[] wordOfToken() {
        int[] out = new int[tokens.size()];
        java.util.Arrays.fill(out, -1);
        for (Word w : words()) {
            for (int k = 0; k < w.tokenCount(); k++) {
                out[w.firstToken() + k] = w.index();
            }
        }
        return out;
    }
}
