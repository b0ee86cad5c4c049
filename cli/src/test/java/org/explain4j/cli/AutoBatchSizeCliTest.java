package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.engine.MemoryBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --batch-size auto} (the default) and {@code --memory-budget} on the command line. */
class AutoBatchSizeCliTest {
    /** residual_cnn's tensors of one row (a probe run), float32, times 2 for a backward pass. */
    private static final long CNN_BACKWARD_ROW = 2 * 4L * (3 * 12 * 12 + 10 * 8 * 12 * 12 + 8 * 6 * 6 + 8 + 8 + 5);

    @TempDir
    Path tmp;

    private CliRunner.Run ig(String... extra) {
        List<String> args = new ArrayList<>(List.of("attribute", "--quiet", "--model",
                CliRunner.fixtures().resolve("residual_cnn.onnx").toString(), "--input",
                CliRunner.fixtures().resolve("residual_cnn_x.npy").toString(), "--output", tmp.resolve("a.json").toString(),
                "--format", "json", "--method", "integrated-gradients", "--steps", "8"));
        args.addAll(List.of(extra));
        return CliRunner.run(args.toArray(String[]::new));
    }

    private int recordedBatch(CliRunner.Run r) throws Exception {
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode a = new ObjectMapper().readTree(Files.readString(tmp.resolve("a.json")));
        Files.delete(tmp.resolve("a.json"));
        return a.get("options").get("batch_size").asInt();
    }

    @Test
    void autoOrNothing_recordsTheSizeTheBudgetGives() throws Exception {
        assertThat(recordedBatch(ig("--batch-size", "auto", "--memory-budget", "1m")))
                .isEqualTo((int) ((1L << 20) / CNN_BACKWARD_ROW)).isEqualTo(10);
        assertThat(recordedBatch(ig("--memory-budget", "2m"))).isEqualTo((int) ((2L << 20) / CNN_BACKWARD_ROW));
        assertThat(System.getProperty(MemoryBudget.PROPERTY)).as("the option does not outlive the command").isNull();
        // the default budget (1 GiB) fits more rows than the cap
        if (System.getenv(MemoryBudget.ENVIRONMENT) == null) {
            assertThat(recordedBatch(ig())).isEqualTo(MemoryBudget.MAX_ROWS);
        }
        assertThat(recordedBatch(ig("--batch-size", "5", "--memory-budget", "1k"))).isEqualTo(5);
    }

    @Test
    void badBatchSizeOrBudget_isOneLineErrorNamingTheFlag() {
        CliRunner.Run lots = ig("--batch-size", "lots");
        assertThat(lots.exitCode()).isEqualTo(ErrorKind.USAGE.exitCode());
        assertThat(lots.err().strip()).isEqualTo("explain4j: error: --batch-size 'lots' must be a number of rows or auto");
        CliRunner.Run zero = ig("--batch-size", "0");
        assertThat(zero.exitCode()).isEqualTo(ErrorKind.USAGE.exitCode());
        assertThat(zero.err().strip()).isEqualTo("explain4j: error: --batch-size must be at least 1 (got 0)");
        CliRunner.Run budget = ig("--memory-budget", "lots");
        assertThat(budget.exitCode()).isEqualTo(ErrorKind.USAGE.exitCode());
        assertThat(budget.err().strip())
                .isEqualTo("explain4j: error: --memory-budget 'lots' is not a size (e.g. 1g, 512m, 1073741824)");
        assertThat(Files.exists(tmp.resolve("a.json"))).isFalse();
    }

    @Test
    void help_showsAutoAndTheBudget() {
        String help = CliRunner.run("attribute", "--help").out();
        assertThat(help).contains("--batch-size=N|auto").contains("default: auto").contains("--memory-budget=SIZE");
    }
}
