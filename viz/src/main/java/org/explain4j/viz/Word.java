package org.explain4j.viz;

/**
 * A word rebuilt from one or more tokens, with the sum of their attributions.
 *
 * @param text        the word, without sub-word markers
 * @param attribution the sum of its tokens' attributions
 * @param firstToken  index of its first token
 * @param tokenCount  number of tokens it was made of
 */
public record Word(String text, double attribution, int firstToken, int tokenCount) {
    public Word {
        Checks.notNull(text, "text");
        Checks.atLeast(firstToken, 0, "firstToken");
        Checks.atLeast(tokenCount, 1, "tokenCount");
    }
}
