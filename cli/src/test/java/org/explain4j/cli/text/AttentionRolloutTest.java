package org.explain4j.cli.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** Attention rollout on matrices small enough to work out by hand. */
class AttentionRolloutTest {
    @Test
    void twoLayers_twoHeads_matchTheHandComputedRollout() {
        // layer 1, heads [[1,0],[0.5,0.5]] and [[0,1],[0.5,0.5]]: mean [[0.5,0.5],[0.5,0.5]];
        // 0.5 A + 0.5 I = [[0.75,0.25],[0.25,0.75]]
        Tensor l1 = Tensor.ofFloats(new float[] {1, 0, 0.5f, 0.5f, 0, 1, 0.5f, 0.5f}, 1, 2, 2, 2);
        // layer 2, one head [[1,0],[1,0]]: 0.5 A + 0.5 I = [[1,0],[0.5,0.5]]
        Tensor l2 = Tensor.ofFloats(new float[] {1, 0, 1, 0}, 1, 1, 2, 2);
        AttentionRollout.Result r = AttentionRollout.of(List.of(l1, l2), 0, 2);
        assertThat(r.layers().get(0)[0]).containsExactly(new double[] {0.5, 0.5}, within(1e-12));
        assertThat(r.rollout().get(0)[1]).containsExactly(new double[] {0.25, 0.75}, within(1e-12));
        // [[1,0],[0.5,0.5]] x [[0.75,0.25],[0.25,0.75]] = [[0.75,0.25],[0.5,0.5]]
        assertThat(r.last()[0]).containsExactly(new double[] {0.75, 0.25}, within(1e-12));
        assertThat(r.last()[1]).containsExactly(new double[] {0.5, 0.5}, within(1e-12));
    }

    @Test
    void padding_isLeftOut_andRowsRenormalised() {
        // 3 tokens, the last one padding; the real tokens give it 0.2 of their attention
        Tensor a = Tensor.ofFloats(new float[] {0.4f, 0.4f, 0.2f, 0.8f, 0f, 0.2f, 0.5f, 0.5f, 0f}, 1, 3, 3);
        AttentionRollout.Result r = AttentionRollout.of(List.of(a), 0, 2);
        // rows [0.4, 0.4] and [0.8, 0]: 0.5 A + 0.5 I = [0.7, 0.2] / 0.9 and [0.4, 0.5] / 0.9
        assertThat(r.last()[0]).containsExactly(new double[] {0.7 / 0.9, 0.2 / 0.9}, within(1e-6));
        assertThat(r.last()[1]).containsExactly(new double[] {0.4 / 0.9, 0.5 / 0.9}, within(1e-6));
    }
}
