package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.explain4j.onnx.cache.OptimizedSessionCache;
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
    private String optimisedBefore;

    @BeforeEach
    void on() {
        enabledBefore = System.getProperty(CacheSettings.ENABLED);
        dirBefore = System.getProperty(CacheSettings.DIR);
        optimisedBefore = System.getProperty(CacheSettings.OPTIMISED);
        System.setProperty(CacheSettings.ENABLED, "on");
        System.setProperty(CacheSettings.OPTIMISED, "on");
        System.setProperty(CacheSettings.DIR, tmp.resolve("cache").toString());
    }

    @AfterEach
    void restore() {
        restore(CacheSettings.ENABLED, enabledBefore);
        restore(CacheSettings.DIR, dirBefore);
        restore(CacheSettings.OPTIMISED, optimisedBefore);
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

    /** The automatic batch size's one-row estimate, from a fresh model object. */
    private static long rowBytes(Path model, Tensor row) {
        try (OnnxDifferentiableModel m = new OnnxDifferentiableModel(OnnxModel.load(model))) {
            return m.bytesPerRow(row, Map.of(), org.explain4j.core.engine.RowMemory.Call.FORWARD).orElseThrow();
        }
    }

    @Test
    void theOneRowEstimate_isTakenFromDiskByTheNextModelObject_perRowShape() throws IOException {
        Path f = copyOfModel();
        Tensor row = input().slice(0, 1);
        System.setProperty(CacheSettings.ENABLED, "off");
        long measured = rowBytes(f, row);
        assertThat(entries()).as("--no-cache writes nothing").isEmpty();
        System.setProperty(CacheSettings.ENABLED, "on");

        long hits = org.explain4j.onnx.cache.RowMemoryCache.hits();
        assertThat(rowBytes(f, row)).isEqualTo(measured);
        assertThat(org.explain4j.onnx.cache.RowMemoryCache.hits() - hits).as("the first object measures").isZero();
        assertThat(entries()).hasSize(1);
        assertThat(rowBytes(f, row)).isEqualTo(measured);
        assertThat(org.explain4j.onnx.cache.RowMemoryCache.hits() - hits).as("the second reads it").isEqualTo(1);

        // another model (another SHA-256) is another key: measured, not taken from the first one's entry
        Path digits = tmp.resolve("digits_cnn.onnx");
        Files.copy(Path.of("..", "examples", "digits", "digits_cnn.onnx"), digits);
        long other = rowBytes(digits, Tensor.zeros(DType.FLOAT32, 1, 1, 8, 8));
        assertThat(org.explain4j.onnx.cache.RowMemoryCache.hits() - hits).isEqualTo(1);
        assertThat(other).isNotEqualTo(measured).isPositive();
        assertThat(entries()).hasSize(2);
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
        assertThat(entries()).as("the backward graph and ONNX Runtime's optimised form of its session").hasSize(2);
        long optimised = OptimizedSessionCache.hits();
        float[][] second = run(f, x);
        assertThat(BackwardGraphCache.hits() - hits).as("the second model object reads the entry").isEqualTo(1);
        assertThat(OptimizedSessionCache.hits() - optimised).as("its session comes from the optimised form").isEqualTo(1);
        assertThat(BackwardGraphCache.misses() - misses).isEqualTo(1);
        for (int i = 0; i < 2; i++) {
            assertThat(first[i]).as("cache miss vs --no-cache").containsExactly(cold[i]);
            assertThat(second[i]).as("cache hit vs --no-cache").containsExactly(cold[i]);
        }
        assertThat(cold[1]).as("a non-trivial gradient").isNotEqualTo(new float[cold[1].length]);
    }

    @Test
    void aGraphFromDisk_takesTheModelsOwnWeights_notStoredInTheEntry() throws IOException {
        Path f = copyOfDigits();
        runDigits(f, OnnxModel.Options.defaults());
        long hits = BackwardGraphCache.hits();
        try (OnnxDifferentiableModel m = new OnnxDifferentiableModel(OnnxModel.load(f))) {
            BackwardGraph g = m.backwardGraph(BackwardRequest.gradientOfInput(), 32, 1, 8, 8);
            assertThat(BackwardGraphCache.hits() - hits).isEqualTo(1);
            java.util.Map<String, com.google.protobuf.ByteString> own = new java.util.HashMap<>();
            m.proto().getGraph().getInitializerList().forEach(t -> own.put(t.getName(), t.getRawData()));
            int same = 0;
            for (var t : g.model().getGraph().getInitializerList()) {
                if (t.getRawData().size() >= SharedWeights.MIN_BYTES && own.containsKey(t.getName())) {
                    assertThat(t.getRawData()).as("the model's own bytes object (so sessions share it): " + t.getName())
                            .isSameAs(own.get(t.getName()));
                    same++;
                }
            }
            assertThat(same).as("the dense layer's weight, at least").isGreaterThan(0);
        }
        for (Path e : entries()) {
            if (entryKey(e).startsWith("backward-graph/")) {
                assertThat(Files.size(e)).as("the entry holds no copy of the weights").isLessThan(Files.size(f) / 2);
            }
        }
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

    private static final Path DIGITS = Path.of("..", "examples", "digits");

    private Path copyOfDigits() throws IOException {
        Path f = tmp.resolve("digits_cnn.onnx");
        if (!Files.exists(f)) {
            Files.copy(DIGITS.resolve("digits_cnn.onnx"), f);
        }
        return f;
    }

    /** Input gradient of IG-like path points: 8 digits x 4 rows each (MaxPool's scatter zeros are 32x8x8x8 floats). */
    private static float[][] runDigits(Path model, OnnxModel.Options options) {
        Tensor x = Npy.read(DIGITS.resolve("digits_x.npy"));
        float[] v = x.toFloatArray();
        float[] rows = new float[v.length * 4];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < v.length; j++) {
                rows[i * v.length + j] = v[j] * (i + 1) / 4f;
            }
        }
        Tensor path = Tensor.ofFloats(rows, 32, 1, 8, 8);
        try (OnnxDifferentiableModel m = new OnnxDifferentiableModel(OnnxModel.load(model, options))) {
            Tensor out = m.forward(path);
            Tensor seed = Tensor.full(DType.FLOAT32, 1, out.shape());
            BackwardResult r = m.backward(path, seed, BackwardRequest.gradientOfInput());
            return new float[][] {r.output().toFloatArray(), r.inputGradient().orElseThrow().toFloatArray()};
        }
    }

    /** The key written in an entry file (after the magic line, as a length and UTF-8 bytes). */
    private static String entryKey(Path entry) throws IOException {
        try (java.io.DataInputStream in = new java.io.DataInputStream(Files.newInputStream(entry))) {
            in.readNBytes("explain4j-cache 1\n".length());
            return new String(in.readNBytes(in.readInt()), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private Path optimisedEntry() throws IOException {
        Path found = null;
        for (Path e : entries()) {
            if (entryKey(e).startsWith("ort-optimized/")) {
                assertThat(found).as("one optimised entry").isNull();
                found = e;
            }
        }
        assertThat(found).as("an optimised entry").isNotNull();
        return found;
    }

    @Test
    void optimisedForm_isStoredWithoutTheSharedWeightsAndZeros_andGivesTheSameGradients() throws IOException {
        Path f = copyOfDigits();
        OnnxModel.Options all = OnnxModel.Options.defaults();
        System.setProperty(CacheSettings.ENABLED, "off");
        float[][] cold = runDigits(f, all);
        System.setProperty(CacheSettings.ENABLED, "on");
        long stores = OptimizedSessionCache.stores();
        float[][] first = runDigits(f, all);
        assertThat(OptimizedSessionCache.stores() - stores).isEqualTo(1);

        Path entry = optimisedEntry();
        String key = entryKey(entry);
        byte[] payload = CacheSettings.derived().orElseThrow().get(key).orElseThrow();
        var stored = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(payload);
        var original = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(f));
        java.util.Map<String, com.google.protobuf.ByteString> weights = new java.util.HashMap<>();
        original.getGraph().getInitializerList().forEach(t -> weights.put(t.getName(), t.getRawData()));
        int shared = 0;
        int zeros = 0;
        for (var t : stored.getGraph().getInitializerList()) {
            String location = t.getExternalDataCount() == 0 ? "" : t.getExternalData(0).getValue();
            if (location.equals(SharedWeights.LOCATION)) {
                shared++;
                assertThat(weights).as("a stripped shared weight is one of the model's").containsKey(t.getName());
                assertThat(t.getRawData().isEmpty()).isTrue();
            } else if (location.equals(SharedWeights.ZEROS)) {
                zeros++;
                assertThat(t.getRawData().isEmpty()).isTrue();
            } else {
                assertThat(t.getRawData().size() >= SharedWeights.MIN_BYTES
                        && t.getRawData().equals(weights.get(t.getName())))
                        .as("a model weight left in the stored form: " + t.getName()).isFalse();
                byte[] raw = t.getRawData().toByteArray();
                assertThat(raw.length >= SharedWeights.MIN_BYTES && java.util.Arrays.equals(raw, new byte[raw.length]))
                        .as("folded zeros left in the stored form: " + t.getName()).isFalse();
            }
        }
        assertThat(shared).as("the dense layer's weight (10x256) is shared, not stored").isGreaterThan(0);
        assertThat(zeros).as("MaxPool's scatter zeros (32x8x8x8) are made at session creation").isGreaterThan(0);

        long hits = OptimizedSessionCache.hits();
        float[][] second = runDigits(f, all);
        assertThat(OptimizedSessionCache.hits() - hits).as("the second model object's session").isEqualTo(1);
        for (int i = 0; i < 2; i++) {
            assertThat(first[i]).as("optimised form stored vs --no-cache").containsExactly(cold[i]);
            assertThat(second[i]).as("session from the optimised form vs --no-cache").containsExactly(cold[i]);
        }
        assertThat(cold[1]).as("a non-trivial gradient").isNotEqualTo(new float[cold[1].length]);

        // another optimisation level is another entry, never the stored one
        hits = OptimizedSessionCache.hits();
        stores = OptimizedSessionCache.stores();
        float[][] basic = runDigits(f, all.withOptimization(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.BASIC_OPT));
        assertThat(OptimizedSessionCache.hits() - hits).as("level BASIC does not read level ALL's form").isZero();
        assertThat(OptimizedSessionCache.stores() - stores).isEqualTo(1);
        assertThat(basic[0]).hasSize(cold[0].length);
        // optimisations off: nothing to store
        stores = OptimizedSessionCache.stores();
        runDigits(f, all.withOptimization(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.NO_OPT));
        assertThat(OptimizedSessionCache.stores() - stores).isZero();
    }

    @Test
    void byDefault_onlyTheGraphIsStored() throws IOException {
        System.clearProperty(CacheSettings.OPTIMISED);
        Path f = copyOfDigits();
        long stores = OptimizedSessionCache.stores();
        float[][] first = runDigits(f, OnnxModel.Options.defaults());
        assertThat(OptimizedSessionCache.stores() - stores).isZero();
        assertThat(entries()).hasSize(1);
        assertThat(entryKey(entries().get(0))).startsWith("backward-graph/");
        System.setProperty(CacheSettings.OPTIMISED, "maybe");
        assertThatThrownBy(() -> runDigits(f, OnnxModel.Options.defaults()))
                .hasMessageContaining("EXPLAIN4J_CACHE_OPTIMISED").hasMessageContaining("maybe");
        assertThat(first[1]).isNotEqualTo(new float[first[1].length]);
    }

    @Test
    void aStoredFormThatCannotBeUsed_isReplaced_sameGradients() throws IOException {
        Path f = copyOfDigits();
        OnnxModel.Options all = OnnxModel.Options.defaults();
        float[][] first = runDigits(f, all);
        String key = entryKey(optimisedEntry());
        var cache = CacheSettings.derived().orElseThrow();
        byte[] good = cache.get(key).orElseThrow();

        // 1. checksum right, not a model ONNX Runtime accepts
        cache.put(key, "not an onnx model".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long hits = OptimizedSessionCache.hits();
        long stores = OptimizedSessionCache.stores();
        float[][] again = runDigits(f, all);
        assertThat(OptimizedSessionCache.hits() - hits).isZero();
        assertThat(OptimizedSessionCache.stores() - stores).as("stored again").isEqualTo(1);
        // (not byte for byte: ONNX Runtime numbers the nodes it adds with a per-process counter)
        assertThat(ai.onnx.proto.OnnxMl.ModelProto.parseFrom(cache.get(key).orElseThrow()).getGraph().getNodeCount())
                .as("a stored optimised graph again").isEqualTo(ai.onnx.proto.OnnxMl.ModelProto.parseFrom(good)
                        .getGraph().getNodeCount());

        // 2. a stripped weight recorded with another shape than the model's
        var stored = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(good);
        var g = stored.getGraph().toBuilder();
        boolean changed = false;
        for (int i = 0; i < g.getInitializerCount() && !changed; i++) {
            var t = g.getInitializer(i);
            if (t.getExternalDataCount() > 0 && t.getExternalData(0).getValue().equals(SharedWeights.LOCATION)) {
                g.setInitializer(i, t.toBuilder().clearDims().addDims(t.getDims(0) * t.getDims(1)));
                changed = true;
            }
        }
        assertThat(changed).isTrue();
        cache.put(key, stored.toBuilder().setGraph(g).build().toByteArray());
        hits = OptimizedSessionCache.hits();
        float[][] third = runDigits(f, all);
        assertThat(OptimizedSessionCache.hits() - hits).as("a weight of another shape is not given").isZero();
        for (int i = 0; i < 2; i++) {
            assertThat(again[i]).containsExactly(first[i]);
            assertThat(third[i]).containsExactly(first[i]);
        }
        hits = OptimizedSessionCache.hits();
        runDigits(f, all);
        assertThat(OptimizedSessionCache.hits() - hits).as("the rewritten form is good").isEqualTo(1);
    }

    @Test
    void concurrentFirstRuns_agree_andLeaveUsableEntries() throws Exception {
        Path f = copyOfDigits();
        OnnxModel.Options all = OnnxModel.Options.defaults();
        System.setProperty(CacheSettings.ENABLED, "off");
        float[][] cold = runDigits(f, all);
        System.setProperty(CacheSettings.ENABLED, "on");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<float[][]>> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                runs.add(pool.submit(() -> runDigits(f, all)));
            }
            for (var r : runs) {
                float[][] got = r.get();
                assertThat(got[1]).containsExactly(cold[1]);
            }
        } finally {
            pool.shutdown();
        }
        try (Stream<Path> s = Files.list(tmp.resolve("cache").resolve("derived"))) {
            assertThat(s.filter(p -> p.getFileName().toString().endsWith(".part")).toList())
                    .as("no temporary file left behind").isEmpty();
        }
        long hits = OptimizedSessionCache.hits();
        long graphHits = BackwardGraphCache.hits();
        float[][] after = runDigits(f, all);
        assertThat(OptimizedSessionCache.hits() - hits).isEqualTo(1);
        assertThat(BackwardGraphCache.hits() - graphHits).isEqualTo(1);
        assertThat(after[1]).containsExactly(cold[1]);
    }

    private static OnnxDifferentiableModel.Key key(RuleSet rules, List<Integer> shape) {
        return new OnnxDifferentiableModel.Key(rules, List.of(), List.of(), true, shape, "x", Map.of(), Map.of(), Map.of(),
                org.explain4j.onnx.grad.rules.Polyphase.mode());
    }
}
