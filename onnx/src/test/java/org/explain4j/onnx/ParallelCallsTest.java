package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.KernelShap;
import org.explain4j.core.method.ShapleyValueSampling;
import org.junit.jupiter.api.Test;

/**
 * A small model loaded with more than one thread runs the perturbation engine's whole passes as that many
 * one-thread calls at once ({@link OnnxModel#parallelCalls}); the results have the bits of one thread
 * (the golden tabular MLP, whose grouped ablation and Shapley sampling take whole passes).
 */
class ParallelCallsTest {
    private static Tensor load(String p) {
        Path path = Path.of("..", p);
        assertThat(Files.exists(path)).as("reference data " + path).isTrue();
        return Npy.read(path);
    }

    @Test
    void imageModels_keepOneCallAtATime_withTheirIntraOpThreads() {
        // the digits CNN is a few KiB, but its input is an image: one call with the model's threads
        try (OnnxModel m = OnnxModel.load(Path.of("..", "examples", "digits", "digits_cnn.onnx"),
                OnnxModel.Options.defaults().withThreads(2))) {
            assertThat(m.parallelCalls()).isEqualTo(1);
        }
        try (OnnxModel m = OnnxModel.load(Path.of("..", "../shared/golden/tabular_mlp.onnx"),
                OnnxModel.Options.defaults().withThreads(2))) {
            assertThat(m.parallelCalls()).isEqualTo(2);
        }
    }

    @Test
    void wholePasses_sameBitsWhateverTheThreadCount() {
        Tensor x = load("../shared/golden/tabular_x.npy");
        FeatureMask mask = FeatureMask.of(load("../shared/golden/tabular_mask.npy"));
        int[] t = new int[x.batchSize()];
        for (int i = 0; i < t.length; i++) {
            t[i] = i % 3;
        }
        Target target = Target.of(t);
        Map<String, Function<OnnxModel, float[]>> methods = new LinkedHashMap<>();
        for (int batch : new int[] {7, 64}) {
            methods.put("ablation, batch " + batch, m -> new FeatureAblation(m, FeatureAblation.Options.defaults()
                    .withFeatureMask(mask).withBatchSize(batch)).attribute(x, target).values().toFloatArray());
            methods.put("shapley, batch " + batch, m -> new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults()
                    .withFeatureMask(mask).withSamples(3).withSeed(5).withExact(ShapleyValueSampling.Exact.NEVER)
                    .withBatchSize(batch)).attribute(x, target).values().toFloatArray());
            methods.put("kernelshap, batch " + batch, m -> new KernelShap(m, KernelShap.Options.defaults().withSamples(30)
                    .withSeed(5).withBatchSize(batch)).attribute(x, target).values().toFloatArray());
        }
        Map<String, float[]> reference = new LinkedHashMap<>();
        for (int threads : new int[] {1, 2, 3}) {
            try (OnnxModel m = OnnxModel.load(Path.of("..", "../shared/golden/tabular_mlp.onnx"),
                    OnnxModel.Options.defaults().withThreads(threads))) {
                assertThat(m.parallelCalls()).isEqualTo(threads);
                for (var e : methods.entrySet()) {
                    float[] v = e.getValue().apply(m);
                    float[] want = reference.putIfAbsent(e.getKey(), v);
                    if (want != null) {
                        assertThat(v).as("%s, %d threads", e.getKey(), threads).isEqualTo(want);
                    }
                }
                assertThat(m.denseLayer() == null || m.denseLayer().rows.get() == 0).as("whole passes").isTrue();
            }
        }
    }

    @Test
    void oneCallAtATime_withOneThread_orTheSystemPropertyOff() {
        System.setProperty(OnnxModel.PARALLEL_CALLS, "off");
        try (OnnxModel m = OnnxModel.load(Path.of("..", "../shared/golden/tabular_mlp.onnx"),
                OnnxModel.Options.defaults().withThreads(2))) {
            assertThat(m.parallelCalls()).isEqualTo(1);
        } finally {
            System.clearProperty(OnnxModel.PARALLEL_CALLS);
        }
        System.setProperty(OnnxModel.PARALLEL_CALLS, "off");
        try (OnnxModel m = OnnxModel.load(Path.of("..", "fixtures/models/tabular50_mlp.onnx"),
                OnnxModel.Options.defaults().withThreads(2))) {
            assertThat(m.denseInput().parallelCalls()).as("the dense layer's calls too").isEqualTo(1);
        } finally {
            System.clearProperty(OnnxModel.PARALLEL_CALLS);
        }
        try (OnnxModel m = OnnxModel.load(Path.of("..", "../shared/golden/tabular_mlp.onnx"),
                OnnxModel.Options.defaults().withThreads(2))) {
            assertThat(m.parallelCalls()).isEqualTo(2);
        }
        try (OnnxModel m = OnnxModel.load(Path.of("..", "../shared/golden/tabular_mlp.onnx"),
                OnnxModel.Options.defaults().withThreads(1))) {
            assertThat(m.parallelCalls()).isEqualTo(1);
        }
    }
}
