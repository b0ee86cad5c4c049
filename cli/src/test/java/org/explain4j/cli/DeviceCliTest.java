package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --device} on the command line, on a machine (and build) without CUDA. */
class DeviceCliTest {
    @TempDir
    Path tmp;

    private CliRunner.Run saliency(String out, String... extra) {
        List<String> args = new ArrayList<>(List.of("attribute", "--quiet", "--model",
                CliRunner.fixtures().resolve("linear.onnx").toString(), "--input",
                CliRunner.fixtures().resolve("linear_x.npy").toString(), "--output", tmp.resolve(out).toString(),
                "--method", "integrated-gradients", "--steps", "4"));
        args.addAll(List.of(extra));
        return CliRunner.run(args.toArray(String[]::new));
    }

    @Test
    void cpuIsTheDefault_andGivesTheSameResult() throws Exception {
        CliRunner.Run plain = saliency("a.npy");
        CliRunner.Run cpu = saliency("b.npy", "--device", "cpu");
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        assertThat(cpu.exitCode()).as(cpu.err()).isZero();
        assertThat(Files.readAllBytes(tmp.resolve("b.npy"))).isEqualTo(Files.readAllBytes(tmp.resolve("a.npy")));
    }

    @Test
    void cudaWithoutACudaBuild_isAOneLineErrorAndANonZeroExit() {
        assumeFalse(OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA), "this build has CUDA");
        for (String d : new String[] {"cuda", "cuda:1"}) {
            CliRunner.Run r = saliency("c.npy", "--device", d);
            assertThat(r.exitCode()).as(r.err()).isEqualTo(ErrorKind.UNSUPPORTED.exitCode()).isNotZero();
            String expectedDevice = d.equals("cuda") ? "cuda:0" : d;
            assertThat(r.err().strip()).isEqualTo("explain4j: error: --device " + expectedDevice + ": this ONNX Runtime "
                    + "build has no CUDA provider (providers: [CPU]); build explain4j with -Pgpu "
                    + "(com.microsoft.onnxruntime:onnxruntime_gpu) on a machine with CUDA, or use --device cpu");
            assertThat(tmp.resolve("c.npy")).doesNotExist();
        }
    }

    @Test
    void malformedDevice_isAUsageError() {
        CliRunner.Run r = saliency("d.npy", "--device", "gpu0");
        assertThat(r.exitCode()).isEqualTo(ErrorKind.USAGE.exitCode());
        assertThat(r.err().strip()).isEqualTo("explain4j: error: --device must be cpu, cuda or cuda:N with N a device "
                + "number such as 0 (got 'gpu0')");
    }

    @Test
    void deviceWithAudio_isRefusedInOneLine_notIgnored() {
        java.nio.file.Path silero = java.nio.file.Path.of("..", "fixtures", "real", "silero_vad_v5.onnx");
        java.nio.file.Path speech = java.nio.file.Path.of("..", "fixtures", "audio", "speech.wav");
        CliRunner.Run a = CliRunner.run("attribute", "--quiet", "--model", silero.toString(), "--audio", speech.toString(),
                "--method", "saliency", "--device", "cuda", "--output", tmp.resolve("a.npy").toString());
        CliRunner.Run e = CliRunner.run("explain", "--quiet", "--model", silero.toString(), "--audio", speech.toString(),
                "--device", "cuda:1", "--out", tmp.resolve("e").toString());
        for (CliRunner.Run r : List.of(a, e)) {
            assertThat(r.exitCode()).as(r.err()).isEqualTo(ErrorKind.USAGE.exitCode());
            assertThat(r.err().strip()).doesNotContain("\n").startsWith("explain4j: error: --device cuda")
                    .contains("does not apply to --audio").contains("leave --device out");
        }
        assertThat(tmp.resolve("a.npy")).doesNotExist();
    }
}
