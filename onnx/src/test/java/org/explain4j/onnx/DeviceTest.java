package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.nio.file.Path;
import java.util.EnumSet;
import org.explain4j.core.Attribution;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.IntegratedGradients;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;

/**
 * {@code --device}: parsing, the one-line error where ONNX Runtime has no CUDA provider (this
 * project's default build, and every machine without the GPU build), and, only where the CUDA
 * provider is present, forward and backward results equal to the CPU's within float tolerance.
 */
class DeviceTest {
    private static final Path MODELS = Path.of("..", "fixtures", "models");

    private static boolean cudaPresent() {
        return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    }

    @Test
    void parse_acceptsCpuCudaAndCudaN_caseInsensitively() {
        assertThat(Device.parse("cpu")).isEqualTo(Device.CPU);
        assertThat(Device.parse(" CPU ")).isEqualTo(Device.CPU);
        assertThat(Device.parse("cuda")).isEqualTo(Device.cuda(0));
        assertThat(Device.parse("cuda:0")).isEqualTo(Device.cuda(0));
        assertThat(Device.parse("CUDA:3")).isEqualTo(Device.cuda(3)).hasToString("cuda:3");
        assertThat(OnnxModel.Options.defaults().device()).isEqualTo(Device.CPU);
    }

    @Test
    void parse_rejectsMalformedValues_withOneLineUsageErrors() {
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", "cuda0", "cpu:0", "", "cuda:99999"}) {
            assertThatThrownBy(() -> Device.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(Explain4jException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ErrorKind.USAGE);
                        assertThat(e.getMessage()).startsWith("--device must be cpu, cuda or cuda:N").contains("'" + bad + "'")
                                .doesNotContain("\n");
                    });
        }
        assertThatThrownBy(() -> new Device(false, 1)).isInstanceOf(Explain4jException.class);
    }

    @Test
    void withoutACudaProvider_cudaIsRefusedInOneLine_beforeASessionIsMade() {
        assertThatThrownBy(() -> Device.cuda(1).requireCudaProvider(EnumSet.of(OrtProvider.CPU)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
                    assertThat(e.getMessage()).isEqualTo("--device cuda:1: this ONNX Runtime build has no CUDA provider "
                            + "(providers: [CPU]); build explain4j with -Pgpu (com.microsoft.onnxruntime:onnxruntime_gpu) "
                            + "on a machine with CUDA, or use --device cpu");
                });
        Device.CPU.requireCudaProvider(EnumSet.of(OrtProvider.CPU));
        Device.cuda(0).requireCudaProvider(EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA));
    }

    /** Where this ONNX Runtime build has no CUDA provider: loading on CUDA fails with the one-line error. */
    private static void loadingOnCuda_failsWithTheOneLineError() {
        assertThatThrownBy(() -> OnnxModel.load(MODELS.resolve("linear.onnx"),
                OnnxModel.Options.defaults().withDevice(Device.cuda(0))))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.UNSUPPORTED);
                    assertThat(e.getMessage()).startsWith("--device cuda:0: this ONNX Runtime build has no CUDA provider")
                            .doesNotContain("\n");
                });
    }

    /** Runs only with onnxruntime_gpu and a CUDA device (not on the development machine). */
    @Test
    void cudaEqualsCpu_forwardAndIntegratedGradients_orIsRefusedInOneLineWithoutCuda() throws Exception {
        if (!cudaPresent()) {
            // the CPU build (the default artifact): the device is refused, never silently ignored
            loadingOnCuda_failsWithTheOneLineError();
            return;
        }
        Tensor x = Npy.read(MODELS.resolve("residual_cnn_x.npy"));
        Path model = MODELS.resolve("residual_cnn.onnx");
        IntegratedGradients.Options ig = IntegratedGradients.Options.defaults().withSteps(16);
        try (OnnxModel cpu = OnnxModel.load(model);
             OnnxModel gpu = OnnxModel.load(model, OnnxModel.Options.defaults().withDevice(Device.cuda(0)));
             OnnxDifferentiableModel dcpu = new OnnxDifferentiableModel(cpu);
             OnnxDifferentiableModel dgpu = new OnnxDifferentiableModel(gpu)) {
            double[] fc = cpu.forward(x).toDoubleArray();
            double[] fg = gpu.forward(x).toDoubleArray();
            assertThat(fg).containsExactly(fc, within(1e-4));
            Attribution ac = new IntegratedGradients(dcpu, ig).attribute(x, Target.of(1));
            Attribution ag = new IntegratedGradients(dgpu, ig).attribute(x, Target.of(1));
            double[] vc = ac.values().toDoubleArray();
            double scale = 0;
            for (double v : vc) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertThat(ag.values().toDoubleArray()).containsExactly(vc, within(1e-3 * scale));
        }
    }
}
