package org.explain4j.viz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Diagnostics;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Provenance;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

class HighlightedTextTest {
    @Test
    void wordPiece_joinsHashHashPieces_andSumsTheirAttributions() {
        List<Word> words = SubwordScheme.WORDPIECE.group(List.of("[CLS]", "the", "play", "##wright", "##s", "won", "[SEP]"),
                new double[] {0.5, 0.1, 0.2, 0.3, -0.05, -0.4, 0.0});
        assertThat(words).extracting(Word::text).containsExactly("[CLS]", "the", "playwrights", "won", "[SEP]");
        assertThat(words.get(2).attribution()).isCloseTo(0.45, within(1e-12));
        assertThat(words.get(2).firstToken()).isEqualTo(2);
        assertThat(words.get(2).tokenCount()).isEqualTo(3);
        assertThat(words.get(3).attribution()).isEqualTo(-0.4);
    }

    @Test
    void sentencePiece_startsAWordAtEachMarker_andKeepsSpecialTokensApart() {
        List<Word> words = SubwordScheme.SENTENCEPIECE.group(
                List.of("<s>", "\u2581The", "\u2581un", "believ", "able", "\u2581story", "\u2581", ".", "</s>"),
                new double[] {0.0, 0.1, 0.2, 0.3, 0.4, -0.5, 0.01, 0.02, 0.9});
        assertThat(words).extracting(Word::text).containsExactly("<s>", "The", "unbelievable", "story", ".", "</s>");
        assertThat(words.get(2).attribution()).isCloseTo(0.9, within(1e-12));
        assertThat(words.get(4).attribution()).as("a bare marker and its piece form one word").isCloseTo(0.03, within(1e-12));
        assertThat(words.get(5).attribution()).isEqualTo(0.9);
    }

    @Test
    void firstPieceWithoutMarker_stillStartsAWord() {
        assertThat(SubwordScheme.SENTENCEPIECE.group(List.of("Hel", "lo", "\u2581world"), new double[] {1, 2, 3}))
                .extracting(Word::text).containsExactly("Hello", "world");
        assertThat(SubwordScheme.WORDPIECE.group(List.of("##ing", "x"), new double[] {1, 2}))
                .extracting(Word::text).containsExactly("ing", "x");
        assertThat(SubwordScheme.BYTE_LEVEL_BPE.group(List.of("Hello", "\u0120wor", "ld"), new double[] {1, 2, 3}))
                .extracting(Word::attribution).containsExactly(1.0, 5.0);
        assertThat(SubwordScheme.NONE.group(List.of("##a", "b"), new double[] {1, 2})).hasSize(2);
    }

    @Test
    void mismatchedLengths_isAShapeError() {
        assertThatThrownBy(() -> SubwordScheme.NONE.group(List.of("a"), new double[] {1, 2}))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("1 tokens but 2 attributions");
    }

    @Test
    void html_coloursEachWord_showsTheValueInATitle_andEscapesTokens() {
        HighlightedText t = HighlightedText.of(List.of("good", "<b>", "bad"), new double[] {0.8, 0.0, -0.4},
                TextOptions.defaults());
        String html = t.toHtmlFragment();
        assertThat(t.scale().limit()).isEqualTo(0.8);
        assertThat(html).contains("background-color:" + ColorMap.diverging().hex(1.0));
        assertThat(html).contains("background-color:" + ColorMap.diverging().hex(0.5));
        assertThat(html).contains("background-color:" + ColorMap.diverging().hex(0.25));
        assertThat(html).contains("title=\"good: +0.8\"", "title=\"bad: -0.4\"");
        assertThat(html).contains("&lt;b&gt;").doesNotContain("<b>");
        assertThat(t.toHtmlDocument("t <i>")).startsWith("<!DOCTYPE html>").contains("t &lt;i&gt;")
                .contains("signed, per-image scale");
    }

    @Test
    void embeddingAttribution_isSummedOverTheEmbeddingDimension() {
        Tensor v = Tensor.ofDoubles(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 3, 2);
        Attribution a = new Attribution("integrated-gradients", v, Target.classIndex(1), Map.of(), OptionalLong.empty(),
                new Diagnostics(1, Duration.ZERO, Optional.empty(), Optional.empty()),
                new Provenance("m", "0", "explain4j", "t", Instant.EPOCH));
        HighlightedText t = HighlightedText.of(a, 1, List.of("a", "##b", "c"), TextOptions.defaults().withScheme(SubwordScheme.WORDPIECE));
        assertThat(t.words()).extracting(Word::attribution).containsExactly(15.0 + 19.0, 23.0);
    }
}
