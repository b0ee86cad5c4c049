package org.explain4j.cli.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;
import org.explain4j.core.Explain4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer wrapper: ids as the tokenizer.json defines them, spans that lead back to the original text. */
class TextTokenizerTest {
    static final Path BOW = Path.of("..", "fixtures", "text");

    @TempDir
    Path tmp;

    /** all-MiniLM-L6-v2's tokenizer.json, copied out of the test dependency's jar. */
    static Path minilmTokenizer(Path dir) throws IOException {
        Path p = dir.resolve("tokenizer.json");
        try (InputStream in = TextTokenizerTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            assertThat(in).as("all-MiniLM-L6-v2 tokenizer on the test classpath").isNotNull();
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void bagOfWordsTokenizer_givesTheIdsTheFixtureScriptWorkedOut() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(BOW.resolve("bow_cases.json").toFile()).get("cases");
        try (TextTokenizer t = TextTokenizer.open(BOW.resolve("bow_tokenizer.json"), 64)) {
            for (JsonNode c : cases) {
                TokenizedText tt = t.encode(c.get("text").asText());
                long[] ids = tt.tokens().stream().mapToLong(TokenizedText.Token::id).toArray();
                long[] expected = new long[c.get("ids").size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = c.get("ids").get(i).asLong();
                }
                assertThat(ids).as(c.get("text").asText()).containsExactly(expected);
                assertThat(tt.words()).hasSize(c.get("words").size());
                assertThat(tt.tokens().get(0).special()).isTrue();
                assertThat(tt.tokens().get(tt.size() - 1).special()).isTrue();
            }
            // "unbelievable" is one word of three pieces; its span is the whole word in the original text
            TokenizedText u = t.encode("The movie was unbelievable!");
            TokenizedText.Word w = u.words().get(3);
            assertThat(w.tokenCount()).isEqualTo(3);
            assertThat(u.surface(w)).isEqualTo("unbelievable");
            assertThat(t.id("[MASK]")).hasValue(4);
            assertThat(t.id("[PAD]")).hasValue(0);
        }
    }

    @Test
    void offsets_roundTripToTheOriginalText_unicodeEmojiCjkAccents() throws IOException {
        List<String> texts = List.of(
                "Café naïve façade, déjà vu.",
                "I \uD83D\uDE00 love \uD83D\uDC4D\uD83C\uDFFD pizza \uD83C\uDF55!",
                "東京タワーは高い and 漢字 mixed",
                "Ünïcödé — “quotes” señor Ångström",
                "  leading,   multiple   spaces\tand tabs  ",
                "e\u0301 combining accent and ﬁ ligature");
        try (TextTokenizer t = TextTokenizer.open(minilmTokenizer(tmp), 128)) {
            for (String text : texts) {
                TokenizedText tt = t.encode(text);
                boolean[] covered = new boolean[text.codePointCount(0, text.length())];
                for (int i = 0; i < tt.size(); i++) {
                    TokenizedText.Token k = tt.tokens().get(i);
                    if (k.special()) {
                        assertThat(k.start()).isEqualTo(-1);
                        continue;
                    }
                    String surface = tt.surface(i);
                    // code-point offsets and UTF-16 offsets name the same characters
                    String byCodePoints = new String(text.codePoints().skip(k.start()).limit(k.end() - k.start()).toArray(),
                            0, k.end() - k.start());
                    assertThat(surface).as(text + " token " + k.piece()).isEqualTo(byCodePoints);
                    if (!k.piece().equals("[UNK]")) {
                        assertThat(normalise(surface)).as(text + " token " + k.piece())
                                .isEqualTo(normalise(k.piece().replaceFirst("^##", "")));
                    }
                }
                for (TokenizedText.Word w : tt.words()) {
                    for (int cp = w.start(); cp < w.end(); cp++) {
                        covered[cp] = true;
                    }
                    assertThat(tt.surface(w)).doesNotContainAnyWhitespaces();
                }
                // every character that is not white space belongs to a word
                int[] cps = text.codePoints().toArray();
                for (int cp = 0; cp < cps.length; cp++) {
                    if (!Character.isWhitespace(cps[cp])) {
                        assertThat(covered[cp]).as(text + " code point " + cp + " '" + new String(cps, cp, 1) + "'").isTrue();
                    }
                }
            }
            TokenizedText emoji = t.encode("I \uD83D\uDE00 love");
            int smiley = 2;
            assertThat(emoji.tokens().get(smiley).piece()).isEqualTo("[UNK]");
            assertThat(emoji.surface(smiley)).isEqualTo("\uD83D\uDE00");
            assertThat(emoji.tokens().get(smiley).start()).isEqualTo(2);
            assertThat(emoji.utf16Start(smiley + 1)).isEqualTo(5); // "love" after a surrogate pair and a space
            assertThat(emoji.tokens().get(smiley + 1).start()).isEqualTo(4);
        }
    }

    @Test
    void truncation_keepsTheSpecialTokensAndSaysSo() throws IOException {
        try (TextTokenizer t = TextTokenizer.open(minilmTokenizer(tmp), 6)) {
            TokenizedText tt = t.encode("one two three four five six seven eight");
            assertThat(tt.size()).isEqualTo(6);
            assertThat(tt.truncated()).isTrue();
            assertThat(tt.tokens().get(5).piece()).isEqualTo("[SEP]");
            assertThat(tt.words()).hasSize(4);
            assertThat(t.encode("one two").truncated()).isFalse();
        }
    }

    @Test
    void badFiles_areOneLineErrorsNamingTheArgument() throws IOException {
        assertThatThrownBy(() -> TextTokenizer.open(tmp.resolve("missing.json"), 16))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("--tokenizer");
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{not json");
        assertThatThrownBy(() -> TextTokenizer.open(bad, 16)).isInstanceOf(Explain4jException.class)
                .hasMessageStartingWith("--tokenizer").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> TextTokenizer.open(BOW.resolve("bow_tokenizer.json"), 1))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("--max-length");
    }

    /** Lower case, accents removed, compatibility forms folded: what BERT's normaliser does. */
    static String normalise(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFKD).replaceAll("\\p{M}", "").toLowerCase(Locale.ROOT);
    }
}
