package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.IndexInputs;
import org.junit.jupiter.api.Test;

/** The token-id check by what the model does with the input (its {@link IndexInputs.Use}). */
class TokenIdsUseTest {
    private static final Tensor IDS = Tensor.ofLongs(new long[] {3, -2, 7}, 1, 3);

    @Test
    void aNegativeIdIntoAGather_isRefusedAsATokenId() {
        assertThatThrownBy(() -> TokenIds.check(new IndexInputs.Use(true, true, OptionalLong.of(100)), "ids", IDS, "--input"))
                .isInstanceOf(Explain4jException.class)
                .hasMessageContaining("token id -2 at index [0, 1]").hasMessageContaining("token ids are 0 or more");
    }

    @Test
    void aNegativeValueOfAnInputNoGatherReads_passes() {
        assertThatCode(() -> TokenIds.check(new IndexInputs.Use(true, false, OptionalLong.empty()), "pos", IDS, "--input"))
                .doesNotThrowAnyException();
    }

    @Test
    void aModelThatWasNotAnalysed_refusesNegativeValues_sayingWhy() {
        assertThatThrownBy(() -> TokenIds.check(IndexInputs.Use.UNKNOWN, "ids", IDS, "--input"))
                .isInstanceOf(Explain4jException.class)
                .hasMessageContaining("negative integer -2 at index [0, 1]")
                .hasMessageContaining("could not analyse the model's graph")
                .hasMessageContaining("input ids")
                .hasMessageNotContaining("token ids are 0 or more");
    }

    @Test
    void anIdPastTheVocabulary_isRefusedNamingItsSize() {
        Tensor ids = Tensor.ofLongs(new long[] {3, 100}, 1, 2);
        assertThatThrownBy(() -> TokenIds.check(new IndexInputs.Use(true, true, OptionalLong.of(100)), "ids", ids, "--input"))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("vocabulary of 100 (ids 0..99)");
    }
}
