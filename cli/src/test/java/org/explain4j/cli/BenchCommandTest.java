package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BenchCommandTest {
    @Test
    void bench_onASmallCnn_reportsBothTimesTheRatioAndPeakMemory() {
        // 2 examples: 2 forward rows, 2 x 6 path rows, 2 baseline rows = 16 model evaluations.
        CliRunner.Run r = CliRunner.run("bench", "--model", CliRunner.fixtures().resolve("residual_cnn.onnx").toString(),
                "--examples", "2", "--steps", "6", "--batch-size", "4", "--repeats", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("bare forward:").contains("integrated gradients:").contains("(16 model evaluations")
                .contains("ratio IG / forward:").contains("peak RSS:");
    }

    @Test
    void bench_badOptimisationLevel_isAUsageError() {
        CliRunner.Run r = CliRunner.run("bench", "--model", CliRunner.fixtures().resolve("linear.onnx").toString(),
                "--optimization", "max");
        assertThat(r.exitCode()).isEqualTo(org.explain4j.core.ErrorKind.USAGE.exitCode());
        assertThat(r.err()).contains("--optimization");
    }

    @Test
    void bench_badOnly_isAUsageError() {
        CliRunner.Run r = CliRunner.run("bench", "--model", CliRunner.fixtures().resolve("linear.onnx").toString(),
                "--only", "IG");
        assertThat(r.exitCode()).isEqualTo(org.explain4j.core.ErrorKind.USAGE.exitCode());
        assertThat(r.err()).contains("--only").contains("forward, ig or both");
    }

    @Test
    void bench_twoRepeats_reportsBestOfTwoAndTheSpreadOfTheRatios() {
        CliRunner.Run r = CliRunner.run("bench", "--model", CliRunner.fixtures().resolve("residual_cnn.onnx").toString(),
                "--examples", "1", "--steps", "4", "--batch-size", "4", "--repeats", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("best of 2").containsPattern("median \\d+\\.\\d\\d, range");
    }

    @Test
    void bench_saliency_comparesOneBackwardWithOneForwardRowAndReportsTheFirstCall() {
        CliRunner.Run r = CliRunner.run("bench", "--model", CliRunner.fixtures().resolve("residual_cnn.onnx").toString(),
                "--method", "saliency", "--examples", "1", "--batch-size", "1", "--repeats", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("1 rows").contains("first saliency call").contains("(process CPU ")
                .contains("saliency:").contains("ratio saliency / forward:")
                // one backward row and no separate forward pass
                .contains("(1 model evaluations");
    }

    @Test
    void bench_layerIg_onTokenIds_drawsIdsFromTheVocabulary() {
        CliRunner.Run r = CliRunner.run("bench", "--model", CliRunner.fixtures().resolve("text_embedding_bag.onnx").toString(),
                "--method", "layer-integrated-gradients", "--layer", "/embedding/Gather_output_0", "--vocab", "50",
                "--examples", "1", "--steps", "4", "--batch-size", "4", "--repeats", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("layer-integrated-gradients:").contains("ratio layer-integrated-gradients / forward:");
    }

    @Test
    void bench_layerIgWithoutLayer_isAUsageError() {
        CliRunner.Run r = CliRunner.run("bench", "--model", CliRunner.fixtures().resolve("linear.onnx").toString(),
                "--method", "layer-integrated-gradients");
        assertThat(r.exitCode()).isEqualTo(org.explain4j.core.ErrorKind.USAGE.exitCode());
        assertThat(r.err()).contains("--layer");
    }
}
