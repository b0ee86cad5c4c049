package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** The shared argmax, top-k and shell quoting of the image, text and audio reports. */
class RanksAndShellTest {
    @Test
    void argmax_picksTheFirstLargestPerRow() {
        Tensor logits = Tensor.ofDoubles(new double[] {0.1, 0.7, 0.7, -1, -3, -2, -5, -1}, 2, 4);
        assertThat(Ranks.argmax(logits)).containsExactly(1, 3);
        assertThat(Ranks.argmax(new double[] {2, 5, 5, 1})).isEqualTo(1);
        assertThat(Ranks.argmax(new double[0])).isZero();
    }

    @Test
    void top_isLargestFirst_tiesInIndexOrder_andAtMostTheLength() {
        assertThat(Ranks.top(new double[] {0.2, 0.5, 0.1, 0.5, 0.3}, 3)).containsExactly(1, 3, 4);
        assertThat(Ranks.top(new double[] {0.4, 0.6}, 3)).containsExactly(1, 0);
    }

    @Test
    void join_quotesOnlyWhatAShellWouldSplitOrExpand() {
        assertThat(Shell.join(List.of("explain4j", "--out", "a/b.npy", "--text", "it's good", "$HOME")))
                .isEqualTo("explain4j --out a/b.npy --text 'it'\\''s good' '$HOME'");
    }
}
