package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.Explainer;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricSpec;
import org.explain4j.core.model.Model;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;

/**
 * Weight randomisation and the input-shift edit on the bundled digits CNN, and the properties
 * issue 9 asks of the randomisation and axiomatic metrics on it (Adebayo et al.'s finding).
 */
class RandomisableOnnxModelTest {
    static final Path DIGITS = Path.of("../examples/digits");

    private static Tensor x() {
        return Npy.read(DIGITS.resolve("digits_x.npy"));
    }

    private static final int[] TARGETS = {0, 1, 2, 3, 4, 5, 6, 7};

    private static Map<String, double[]> initializers(byte[] model) throws Exception {
        Map<String, double[]> out = new HashMap<>();
        for (TensorProto t : ModelProto.parseFrom(model).getGraph().getInitializerList()) {
            out.put(t.getName(), RandomisableOnnxModel.values(t));
        }
        return out;
    }

    @Test
    void layers_areTheParameterisedNodesInGraphOrder() throws Exception {
        try (OnnxModel onnx = OnnxModel.load(DIGITS.resolve("digits_cnn.onnx"));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx)) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d);
            List<String> layers = r.layers();
            assertThat(layers).hasSize(3);
            ModelProto p = ModelProto.parseFrom(onnx.modelBytes());
            List<String> ops = p.getGraph().getNodeList().stream().filter(n -> layers.contains(n.getName()))
                    .map(n -> n.getOpType()).toList();
            assertThat(ops).containsExactly("Conv", "Conv", "Gemm");
            assertThatThrownBy(() -> r.randomised(List.of("nope"), 1)).isInstanceOf(Explain4jException.class)
                    .hasMessageStartingWith("the model has no parameterised layer 'nope'");
        }
    }

    @Test
    void layers_residualCnnWithUnfoldedBatchNorm_areItsThreeConvsAndGemm() throws Exception {
        try (OnnxModel onnx = OnnxModel.load(Path.of("../fixtures/models/residual_cnn.onnx"));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx)) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d);
            ModelProto p = ModelProto.parseFrom(onnx.modelBytes());
            assertThat(p.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("BatchNormalization")).count())
                    .isEqualTo(3);
            List<String> ops = p.getGraph().getNodeList().stream().filter(n -> r.layers().contains(n.getName()))
                    .map(n -> n.getOpType()).toList();
            assertThat(ops).as("the golden README's 4 layers of the residual CNN").containsExactly("Conv", "Conv", "Conv", "Gemm");
            Tensor x = Npy.read(Path.of("../fixtures/models/residual_cnn_x.npy"));
            try (Model m = r.randomised(r.layers(), 1)) {
                assertThat(m.forward(x)).isNotEqualTo(onnx.forward(x));
            }
        }
    }

    @Test
    void randomised_drawsTorchsUniformInitFromTheSeed_inACopy() throws Exception {
        Path file = DIGITS.resolve("digits_cnn.onnx");
        byte[] before = Files.readAllBytes(file);
        try (OnnxModel onnx = OnnxModel.load(file); OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx)) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d);
            String last = r.layers().get(2);
            Tensor original = onnx.forward(x());
            Tensor a;
            Tensor b;
            Tensor c;
            try (Model m1 = r.randomised(List.of(last), 3); Model m2 = r.randomised(List.of(last), 3);
                 Model m3 = r.randomised(List.of(last), 4)) {
                a = m1.forward(x());
                b = m2.forward(x());
                c = m3.forward(x());
            }
            assertThat(a).as("same seed, same weights").isEqualTo(b);
            assertThat(a).isNotEqualTo(c).isNotEqualTo(original);
            assertThat(onnx.forward(x())).as("the wrapped model is unchanged").isEqualTo(original);
            // the Gemm's weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), mean 0, variance bound^2 / 3
            ModelProto p = ModelProto.parseFrom(onnx.modelBytes());
            var gemm = p.getGraph().getNodeList().stream().filter(n -> n.getName().equals(last)).findFirst().orElseThrow();
            String wName = gemm.getInput(1);
            Map<String, double[]> orig = initializers(onnx.modelBytes());
            Map<String, double[]> randomised = initializers(r.randomisedProto(List.of(last), 3).toByteArray());
            double[] w = randomised.get(wName);
            TensorProto wt = p.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(wName)).findFirst()
                    .orElseThrow();
            int transB = RandomisableOnnxModel.attrInt(gemm, "transB", 0);
            long fanIn = transB == 1 ? wt.getDims(1) : wt.getDims(0);
            double bound = 1 / Math.sqrt(fanIn);
            double mean = 0;
            double sq = 0;
            for (double v : w) {
                assertThat(Math.abs(v)).isLessThanOrEqualTo(bound * (1 + 1e-6));
                mean += v / w.length;
                sq += v * v / w.length;
            }
            assertThat(mean).isCloseTo(0, within(4 * bound / Math.sqrt(3 * w.length)));
            assertThat(sq).isCloseTo(bound * bound / 3, within(0.2 * bound * bound / 3));
            assertThat(w).isNotEqualTo(orig.get(wName));
            // the exact stream: the layer's weight, then its bias, from SplittableRandom(seed + 1), each value
            // drawn in double and stored in the initializer's type (a change here changes every MPRT score)
            java.util.SplittableRandom rng = new java.util.SplittableRandom(3 + 1);
            for (String name : List.of(wName, gemm.getInput(2))) {
                double[] drawn = randomised.get(name);
                for (int i = 0; i < drawn.length; i++) {
                    float expected = (float) (-bound + 2 * bound * rng.nextDouble());
                    assertThat(drawn[i]).as("%s[%d]", name, i).isEqualTo((double) expected);
                }
            }
            // the other layers keep their weights
            for (String name : orig.keySet()) {
                if (!gemm.getInputList().contains(name)) {
                    assertThat(randomised.get(name)).as(name).containsExactly(orig.get(name));
                }
            }
        }
        assertThat(Files.readAllBytes(file)).as("the user's file is never written").isEqualTo(before);
    }

    /** The attribution of {@code method} on {@code model} (the catalogue's defaults and {@code params}). */
    private static float[] attribution(Model model, String method, Map<String, Object> params, Tensor x, int[] targets) {
        return MethodCatalog.create(method, model, params, ProgressListener.NONE).attribute(x, Target.of(targets)).values()
                .toFloatArray();
    }

    /** A model made from the randomised graph's bytes, deriving its own backward graphs: the path before sharing. */
    private static Fresh fresh(RandomisableOnnxModel r, OnnxModel onnx, List<String> layers, long seed) {
        OnnxModel copy = OnnxModel.fromBytes("fresh copy", r.randomisedProto(layers, seed).toByteArray(), onnx.options());
        return new Fresh(copy, new OnnxDifferentiableModel(copy, PropagationRegistry.standard()));
    }

    /** A model of its own graph and its backward passes, closed together. */
    private record Fresh(OnnxModel onnx, OnnxDifferentiableModel d) implements org.explain4j.core.grad.DifferentiableModel {
        @Override
        public Tensor forward(Tensor input) {
            return onnx.forward(input);
        }

        @Override
        public org.explain4j.core.grad.BackwardResult backward(Tensor input, Tensor seed,
                                                               org.explain4j.core.grad.BackwardRequest request) {
            return d.backward(input, seed, request);
        }

        @Override
        public org.explain4j.core.model.ModelSignature signature() {
            return onnx.signature();
        }

        @Override
        public org.explain4j.core.model.ModelInfo info() {
            return onnx.info();
        }

        @Override
        public void close() {
            d.close();
            onnx.close();
        }
    }

    @Test
    void randomised_sharesTheBackwardGraph_andGivesAFreshDerivationsAttributionsToTheBit() throws Exception {
        for (String name : List.of("digits_cnn", "residual_cnn")) {
            Path file = name.equals("digits_cnn") ? DIGITS.resolve("digits_cnn.onnx")
                    : Path.of("../fixtures/models/residual_cnn.onnx");
            Tensor x = name.equals("digits_cnn") ? x() : Npy.read(Path.of("../fixtures/models/residual_cnn_x.npy"));
            int[] targets = new int[x.batchSize()];
            for (int n = 0; n < targets.length; n++) {
                targets[n] = n % 3;
            }
            byte[] before = Files.readAllBytes(file);
            try (OnnxModel onnx = OnnxModel.load(file);
                 OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
                byte[] bytesBefore = onnx.modelBytes().clone();
                RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
                List<String> all = r.layers();
                float[] original = attribution(d, "saliency", Map.of(), x, targets);
                // top-down cascade steps, the whole model, and a middle layer alone
                List<List<String>> sets = List.of(List.of(all.get(all.size() - 1)),
                        all.subList(all.size() - 2, all.size()), all, List.of(all.get(1)));
                for (List<String> layers : sets) {
                    for (String method : List.of("saliency", "input-x-gradient", "guided-backprop")) {
                        float[] shared;
                        float[] rebuilt;
                        try (Model m = r.randomised(layers, 42); Fresh f = fresh(r, onnx, layers, 42)) {
                            shared = attribution(m, method, Map.of(), x, targets);
                            rebuilt = attribution(f, method, Map.of(), x, targets);
                            assertThat(((org.explain4j.onnx.grad.ReweightedModel) m).rebuiltUsed())
                                    .as("%s %s %s: the shared graph served it, no model of its own", name, layers, method)
                                    .isFalse();
                        }
                        assertThat(shared).as("%s %s %s: equal to the fresh derivation's", name, layers, method)
                                .containsExactly(rebuilt);
                        if (method.equals("saliency")) {
                            assertThat(shared).as("%s %s: the randomised weights were used", name, layers)
                                    .isNotEqualTo(original);
                        }
                    }
                }
                assertThat(onnx.modelBytes()).as("the model's bytes in memory are unchanged").isEqualTo(bytesBefore);
                assertThat(attribution(d, "saliency", Map.of(), x, targets)).as("the original model still explains as before")
                        .containsExactly(original);
            }
            assertThat(Files.readAllBytes(file)).as("the user's file is never written").isEqualTo(before);
        }
    }

    @Test
    void randomised_forwardAndRuleSetsWithMergedBatchNorm_useAModelOfTheEditedGraph_withTheSameResults() throws Exception {
        Path file = Path.of("../fixtures/models/residual_cnn.onnx");
        Tensor x = Npy.read(Path.of("../fixtures/models/residual_cnn_x.npy"));
        int[] targets = new int[x.batchSize()];
        try (OnnxModel onnx = OnnxModel.load(file);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d);
            List<String> layers = r.layers().subList(0, 2);
            try (Model m = r.randomised(layers, 5); Fresh f = fresh(r, onnx, layers, 5)) {
                var copy = (org.explain4j.onnx.grad.ReweightedModel) m;
                assertThat(copy.info().sha256()).isEqualTo("none");
                assertThat(copy.info().name()).contains("randomised").contains("seed 5");
                // LRP merges each BatchNorm into the Conv before it: the merged weights come from the
                // randomised ones, so the shared graph cannot serve and the copy derives its own
                float[] lrp = attribution(m, "lrp", Map.of("composite", "epsilon-plus"), x, targets);
                assertThat(copy.rebuiltUsed()).as("LRP with merged BatchNorm").isTrue();
                assertThat(lrp).containsExactly(attribution(f, "lrp", Map.of("composite", "epsilon-plus"), x, targets));
                assertThat(lrp).isNotEqualTo(attribution(d, "lrp", Map.of("composite", "epsilon-plus"), x, targets));
                assertThat(m.forward(x).toFloatArray()).containsExactly(f.forward(x).toFloatArray());
                assertThat(m.forward(x)).isNotEqualTo(onnx.forward(x));
            }
            r.close();
        }
    }

    /** x (N, 1, 4, 4) -> Conv(3x3 ones, bias 0.5, pads 1) -> Flatten -> y (N, 16). */
    private static Path onesConv(Path dir) throws Exception {
        var f = ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
        var dims = ai.onnx.proto.OnnxMl.TensorShapeProto.newBuilder()
                .addDim(ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        var in = ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName("x").setType(ai.onnx.proto.OnnxMl.TypeProto.newBuilder()
                .setTensorType(ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder().setElemType(f).setShape(dims.clone()
                        .addDim(d(1)).addDim(d(4)).addDim(d(4)))));
        var out = ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName("y").setType(ai.onnx.proto.OnnxMl.TypeProto.newBuilder()
                .setTensorType(ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder().setElemType(f).setShape(dims.clone().addDim(d(16)))));
        TensorProto.Builder w = TensorProto.newBuilder().setName("W").setDataType(f).addAllDims(List.of(1L, 1L, 3L, 3L));
        for (int i = 0; i < 9; i++) {
            w.addFloatData(1f);
        }
        TensorProto b = TensorProto.newBuilder().setName("B").setDataType(f).addDims(1).addFloatData(0.5f).build();
        var conv = ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setName("conv").setOpType("Conv").addInput("x").addInput("W")
                .addInput("B").addOutput("c").addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("pads")
                        .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.INTS).addAllInts(List.of(1L, 1L, 1L, 1L)));
        var flat = ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setName("flat").setOpType("Flatten").addInput("c").addOutput("y");
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder()
                .setVersion(13)).setGraph(ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("g").addInput(in).addOutput(out)
                .addInitializer(w).addInitializer(b).addNode(conv).addNode(flat)).build();
        Path file = dir.resolve("ones_conv.onnx");
        Files.write(file, m.toByteArray());
        return file;
    }

    private static ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension d(long v) {
        return ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(v).build();
    }

    @Test
    void shiftedFirstLayer_biasIsTwiceBiasMinusMinimumOfConvOfTheShift(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        try (OnnxModel onnx = OnnxModel.load(onesConv(dir)); OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx)) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d);
            float[] minus = new float[16];
            java.util.Arrays.fill(minus, -1f);
            // conv(full(-1)) + 0.5: corners -3.5, edges -5.5, inside -8.5; new bias 2 * 0.5 + 8.5 = 9.5
            try (Model m = r.shiftedFirstLayer(-1, new int[] {1, 4, 4})) {
                double[] y = m.forward(Tensor.ofFloats(minus, 1, 1, 4, 4)).toDoubleArray();
                assertThat(y).containsExactly(new double[] {5.5, 3.5, 3.5, 5.5, 3.5, 0.5, 0.5, 3.5, 3.5, 0.5, 0.5, 3.5, 5.5, 3.5,
                        3.5, 5.5}, within(1e-5));
            }
            assertThat(onnx.forward(Tensor.ofFloats(new float[16], 1, 1, 4, 4)).toDoubleArray()).as("the model is unchanged")
                    .containsOnly(0.5);
        }
    }

    private static double[] metric(String name, Map<String, Object> params, Explainer explainer, Explainer attribution) {
        try (OnnxModel onnx = OnnxModel.load(DIGITS.resolve("digits_cnn.onnx"));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel model = new RandomisableOnnxModel(onnx, d);
            Tensor a = (attribution != null ? attribution : explainer).explain(model, x(), TARGETS);
            MetricSpec spec = MetricCatalog.get(name);
            return spec.factory().create(spec.bind(params)).evaluate(new MetricInput(model, x(), a, TARGETS, Optional.empty(),
                    Optional.ofNullable(explainer), 42, 64, ProgressListener.NONE)).values().toDoubleArray();
        }
    }

    private static Explainer method(String name, Map<String, Object> params) {
        return (model, input, t) -> MethodCatalog.create(name, model, params, ProgressListener.NONE).attribute(input, Target.of(t))
                .values();
    }

    /** |x[i, j] - x[i, j-1]| + |x[i, j] - x[i-1, j]|: an "explanation" that only looks at the input. */
    private static final Explainer EDGES = (model, input, t) -> {
        double[] v = input.toDoubleArray();
        double[] out = new double[v.length];
        for (int n = 0; n < input.batchSize(); n++) {
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 8; j++) {
                    int k = n * 64 + i * 8 + j;
                    out[k] = (j > 0 ? Math.abs(v[k] - v[k - 1]) : 0) + (i > 0 ? Math.abs(v[k] - v[k - 8]) : 0);
                }
            }
        }
        return Tensor.ofDoubles(out, input.shape());
    };

    @Test
    void mprt_similarityFallsForSaliency_staysOneForAnEdgeDetector() {
        double[] sal = metric("mprt", Map.of(), method("saliency", Map.of()), null);
        double[] edges = metric("mprt", Map.of(), EDGES, null);
        double orig = 0;
        double last = 0;
        for (int n = 0; n < 8; n++) {
            orig += sal[n * 4] / 8;
            last += sal[n * 4 + 3] / 8;
            for (int c = 0; c < 4; c++) {
                assertThat(edges[n * 4 + c]).as("edge detector, example " + n + " column " + c).isCloseTo(1.0, within(1e-9));
            }
        }
        assertThat(orig).as("saliency against itself on the original model").isCloseTo(1.0, within(1e-9));
        assertThat(last).as("mean similarity after randomising every layer").isLessThan(0.5);
    }

    @Test
    void completeness_integratedGradientsWithManySteps_isNearZero() {
        Map<String, Object> ig = Map.of("steps", 256);
        Explainer e = method("integrated-gradients", ig);
        double[] gap = metric("completeness", Map.of("normalise", false, "perturb-baseline", "0"), e, null);
        double[] crude = metric("completeness", Map.of("normalise", false, "perturb-baseline", "0"), e,
                method("integrated-gradients", Map.of("steps", 2)));
        double worst = 0;
        double crudeWorst = 0;
        for (int n = 0; n < 8; n++) {
            worst = Math.max(worst, Math.abs(gap[n]));
            crudeWorst = Math.max(crudeWorst, Math.abs(crude[n]));
        }
        assertThat(worst).as("IG with 256 steps").isLessThan(0.02);
        assertThat(crudeWorst).as("IG with 2 steps misses by more").isGreaterThan(10 * worst);
    }
}
