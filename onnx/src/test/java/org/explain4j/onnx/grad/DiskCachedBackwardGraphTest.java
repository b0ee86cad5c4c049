package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.io.Npy;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.cache.BackwardGraphCache;
import org.explain4j.onnx.cache.CacheSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backward graphs through the on-disk cache: hits are bit-identical, bad entries rebuilt, keys invalidated. */
class DiskCachedBackwardGraphTest {
    private static final Path FIXTURES = Path.of("..", "fixtures", "models");

    @TempDir
    Path tmp;
    private String enabledBefore;
    private String dirBefore;

    @BeforeEach
    void on() {
        enabledBefore = System.getProperty(CacheSettings.ENABLED);
        dirBefore = System.getProperty(CacheSettings.DIR);
        System.setProperty(CacheSettings.ENABLED, "on");
        System.setProperty(CacheSettings.DIR, tmp.resolve("cache").toString());
    }

    @AfterEach
    void restore() {
        restore(CacheSettings.ENABLED, enabledBefore);
        restore(CacheSettings.DIR, dirBefore);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private Path copyOfModel() throws IOException {
        Path f = tmp.resolve("residual_cnn.onnx");
        if (!Files.exists(f)) {
            Files.copy(FIXTURES.resolve("residual_cnn.onnx"), f);
        }
        return f;
    }

    private static Tensor input() {
        return Npy.read(FIXTURES.resolve("residual_cnn_x.npy"));
    }

    /** Input gradient and a captured activation's value and gradient, from a fresh model object (a fresh "process"). */
    private static float[][] run(Path model, Tensor x) {
        try (OnnxDifferentiableModel m = new OnnxDifferentiableModel(OnnxModel.load(model))) {
            Tensor out = m.forward(x);
            Tensor seed = Tensor.full(DType.FLOAT32, 1, out.shape());
            BackwardResult r = m.backward(x, seed, BackwardRequest.gradientOfInput());
            return new float[][] {r.output().toFloatArray(), r.inputGradient().orElseThrow().toFloatArray()};
        }
    }

    private List<Path> entries() throws IOException {
        Path d = tmp.resolve("cache").resolve("derived");
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".e4jc")).toList();
        }
    }

    @Test
    void secondModelObject_takesTheGraphFromDisk_bitIdentical() throws IOException {
        Path f = copyOfModel();
        Tensor x = input();
        System.setProperty(CacheSettings.ENABLED, "off");
        float[][] cold = run(f, x);
        assertThat(entries()).as("--no-cache writes nothing").isEmpty();
        System.setProperty(CacheSettings.ENABLED, "on");

        long hits = BackwardGraphCache.hits();
        long misses = BackwardGraphCache.misses();
        float[][] first = run(f, x);
        assertThat(BackwardGraphCache.misses() - misses).isEqualTo(1);
        assertThat(entries()).as("the backward graph").hasSize(1);
        float[][] second = run(f, x);
        assertThat(BackwardGraphCache.hits() - hits).as("the second model object reads the entry").isEqualTo(1);
        assertThat(BackwardGraphCache.misses() - misses).isEqualTo(1);
        for (int i = 0; i < 2; i++) {
            assertThat(first[i]).as("cache miss vs --no-cache").containsExactly(cold[i]);
            assertThat(second[i]).as("cache hit vs --no-cache").containsExactly(cold[i]);
        }
        assertThat(cold[1]).as("a non-trivial gradient").isNotEqualTo(new float[cold[1].length]);
    }

    @Test
    void garbledOrTruncatedEntry_isRebuilt_sameResult() throws IOException {
        Path f = copyOfModel();
        Tensor x = input();
        float[][] first = run(f, x);
        for (Path entry : entries()) {
            byte[] all = Files.readAllBytes(entry);
            all[all.length / 2] ^= 0x01;
            Files.write(entry, all);
        }
        long misses = BackwardGraphCache.misses();
        float[][] again = run(f, x);
        assertThat(BackwardGraphCache.misses() - misses).as("a garbled entry is not trusted").isEqualTo(1);
        for (Path entry : entries()) {
            Files.write(entry, java.util.Arrays.copyOf(Files.readAllBytes(entry), 100));
        }
        float[][] third = run(f, x);
        assertThat(BackwardGraphCache.misses() - misses).as("a truncated entry is not trusted").isEqualTo(2);
        for (int i = 0; i < 2; i++) {
            assertThat(again[i]).containsExactly(first[i]);
            assertThat(third[i]).containsExactly(first[i]);
        }
        long hits = BackwardGraphCache.hits();
        run(f, x);
        assertThat(BackwardGraphCache.hits() - hits).as("the rebuilt entry is good").isEqualTo(1);
    }

    @Test
    void keyChangesWithModelBytesRulesShapeAndFedValues() throws IOException {
        Path f = copyOfModel();
        Path g = tmp.resolve("changed.onnx");
        byte[] bytes = Files.readAllBytes(f);
        // the last weight byte: same graph, another value
        bytes[bytes.length - 1] ^= 0x01;
        Files.write(g, bytes);
        RuleRegistry reg = RuleRegistry.defaults();
        try (OnnxDifferentiableModel a = new OnnxDifferentiableModel(OnnxModel.load(f));
             OnnxDifferentiableModel b = new OnnxDifferentiableModel(OnnxModel.load(g))) {
            var proto = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(f));
            OnnxDifferentiableModel.Key k = key(RuleSet.gradient(), List.of(2, 1, 8, 8));
            String base = DerivationKey.of(a.model(), proto, reg, k, Map.of());
            assertThat(DerivationKey.of(a.model(), proto, reg, k, Map.of())).as("deterministic").isEqualTo(base);
            assertThat(DerivationKey.of(b.model(), proto, reg, k, Map.of())).as("one model byte changed").isNotEqualTo(base);
            assertThat(DerivationKey.of(a.model(), proto, reg, key(RuleSet.gradient(), List.of(3, 1, 8, 8)), Map.of()))
                    .as("input shape").isNotEqualTo(base);
            assertThat(DerivationKey.of(a.model(), proto, reg, key(new RuleSet("other", List.of()), List.of(2, 1, 8, 8)),
                    Map.of())).as("rule set").isNotEqualTo(base);
            assertThat(DerivationKey.of(a.model(), proto, reg.withGradient("Relu", RuleRegistry.defaults()
                    .gradient("Tanh").orElseThrow()), k, Map.of())).as("registry").isNotEqualTo(base);
            assertThat(DerivationKey.of(a.model(), proto, reg, k, Map.of("sr", Tensor.ofDoubles(new double[] {1}, 1))))
                    .isNotEqualTo(DerivationKey.of(a.model(), proto, reg, k,
                            Map.of("sr", Tensor.ofDoubles(new double[] {2}, 1)))).as("fed value");
            assertThat(DerivationKey.of(a.model(), proto, reg.withGradient("Relu", new com.example.ForeignRule()), k, Map.of()))
                    .as("a rule from outside explain4j: not cached").isNull();
        }
    }

    private static OnnxDifferentiableModel.Key key(RuleSet rules, List<Integer> shape) {
        return new OnnxDifferentiableModel.Key(rules, List.of(), List.of(), true, shape, "x", Map.of(), Map.of());
    }
}
