package org.explain4j.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.Occlusion;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Incremental occlusion and local feature ablation equal full recomputation on every CNN fixture, at every cut. */
class IncrementalOcclusionTest {

    static void assertClose(Tensor want, Tensor got, String what) {
        double[] a = want.toDoubleArray();
        double[] b = got.toDoubleArray();
        assertEquals(a.length, b.length, what);
        double scale = 0;
        for (double v : a) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-5 * Math.max(1, scale) + 1e-5, what + " element " + i);
        }
    }

    @ParameterizedTest
    @CsvSource({"fixtures/models/residual_cnn.onnx, fixtures/models/residual_cnn_x.npy",
            "fixtures/models/densenet_block.onnx, fixtures/models/densenet_block_x.npy",
            "fixtures/models/mobilenetv2_block.onnx, fixtures/models/mobilenetv2_block_x.npy",
            "fixtures/models/mobilenetv3_block.onnx, fixtures/models/mobilenetv3_block_x.npy",
            "fixtures/models/convnext_block.onnx, fixtures/models/convnext_block_x.npy",
            "fixtures/models/unet_decoder.onnx, fixtures/models/unet_decoder_x.npy",
            "fixtures/models/vit_block.onnx, fixtures/models/vit_block_x.npy",
            "examples/digits/digits_cnn.onnx, examples/digits/digits_x.npy"})
    void equalsFullRecomputationAtEveryCut(String modelPath, String xPath) {
        try (OnnxModel model = OnnxModel.load(Path.of("..", modelPath))) {
            Tensor x = Npy.read(Path.of("..", xPath));
            if (x.batchSize() > 2) {
                x = x.slice(0, 2);
            }
            int[] ex = x.exampleShape();
            Target target = Target.classIndex(1);
            // windows that straddle the borders (stride does not divide the map) and a 1-pixel window
            List<int[][]> windows = List.of(new int[][] {{ex[0], 3, 3}, {1, 2, 2}}, new int[][] {{ex[0], 2, 3}, {1, 3, 2}},
                    new int[][] {{1, 1, 1}, {1, 1, 1}});
            RegionGraph g = new RegionGraph(proto(model), model.signature().inputName(), ex);
            List<Integer> cuts = g.cuts();
            if (!modelPath.contains("convnext") && !modelPath.contains("vit")) {
                assertTrue(cuts.size() >= 2, modelPath + ": a CNN fixture offers at least two cuts, " + cuts);
            }
            for (int[][] w : windows) {
                Occlusion.Options o = new Occlusion.Options(w[0], w[1], Baseline.constant(0.5), 7);
                Attribution full = new Occlusion(model, o.withIncremental(false)).attribute(x, target);
                model.forceIncrementalCut(-1);
                Attribution chosen = new Occlusion(model, o).attribute(x, target);
                assertClose(full.values(), chosen.values(), modelPath + " cost-model cut");
                for (int cut : cuts) {
                    model.forceIncrementalCut(cut);
                    long before = model.incremental() == null ? 0 : model.incremental().rows;
                    Attribution inc = new Occlusion(model, o).attribute(x, target);
                    assertClose(full.values(), inc.values(), modelPath + " cut " + cut + " window "
                            + java.util.Arrays.toString(w[0]));
                    assertNotNull(model.incremental());
                    assertEquals(cut, model.incremental().lastCut, "the forced cut was used");
                    assertTrue(model.incremental().rows > before, "rows went through incremental inference");
                }
            }
            // local feature ablation: 2x2 patches as groups
            FeatureAblation.Options fo = FeatureAblation.Options.defaults().withFeatureMask(patches(ex, 2))
                    .withBaseline(Baseline.zeros()).withBatchSize(5);
            Attribution full = new FeatureAblation(model, fo.withIncremental(false)).attribute(x, target);
            for (int cut : cuts) {
                model.forceIncrementalCut(cut);
                assertClose(full.values(), new FeatureAblation(model, fo).attribute(x, target).values(),
                        modelPath + " feature ablation, cut " + cut);
            }
            model.forceIncrementalCut(-1);
        }
    }

    /**
     * A model with an operator the analysis does not know (Softmax over the columns: every output
     * of a row depends on the whole row), first or after a Conv and Relu: occlusion falls back to
     * whole forward passes (first) or cuts before it (after), and equals full recomputation.
     */
    @ParameterizedTest
    @CsvSource({"true", "false"})
    void unsupportedOperatorFallsBack(boolean first) {
        java.util.Random rnd = new java.util.Random(3);
        var g = ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("t");
        g.addInitializer(floats("w1", rnd, 2, 1, 3, 3)).addInitializer(floats("w2", rnd, 2, 2, 3, 3));
        String in = "input";
        java.util.List<ai.onnx.proto.OnnxMl.NodeProto> nodes = new java.util.ArrayList<>();
        if (first) {
            nodes.add(node("Softmax", in, "s", org.explain4j.onnx.grad.Attr.i("axis", 3), "input"));
            in = "s";
        }
        nodes.add(node("Conv", in, "c1", org.explain4j.onnx.grad.Attr.ints("pads", 1, 1, 1, 1), in, "w1"));
        nodes.add(node("Relu", "c1", "r1", null, "c1"));
        String last = "r1";
        if (!first) {
            nodes.add(node("Softmax", "r1", "s", org.explain4j.onnx.grad.Attr.i("axis", 3), "r1"));
            last = "s";
        }
        nodes.add(node("Conv", last, "c2", org.explain4j.onnx.grad.Attr.ints("pads", 1, 1, 1, 1), last, "w2"));
        nodes.add(node("Flatten", "c2", "out", null, "c2"));
        g.addAllNode(nodes);
        g.addInput(vi("input", -1, 1, 6, 6)).addOutput(vi("out", -1, 72));
        byte[] bytes = ai.onnx.proto.OnnxMl.ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13)).build().toByteArray();
        try (OnnxModel model = OnnxModel.fromBytes("softmax.onnx", bytes, OnnxModel.Options.defaults())) {
            double[] xv = new double[2 * 36];
            for (int i = 0; i < xv.length; i++) {
                xv[i] = rnd.nextGaussian();
            }
            Tensor x = Tensor.ofDoublesAsFloats(xv, 2, 1, 6, 6);
            Occlusion.Options o = new Occlusion.Options(new int[] {1, 2, 2}, new int[] {1, 1, 1}, Baseline.zeros(), 5);
            Attribution full = new Occlusion(model, o.withIncremental(false)).attribute(x, Target.classIndex(7));
            model.forceIncrementalCut(first ? -1 : 1);
            Attribution inc = new Occlusion(model, o).attribute(x, Target.classIndex(7));
            assertClose(full.values(), inc.values(), "softmax model");
            assertNotNull(model.incremental(), "the model was asked for incremental inference");
            if (first) {
                assertEquals(0, model.incremental().rows, "nothing can be cut before the Softmax: whole forward passes");
            } else {
                assertEquals(1, model.incremental().lastCut, "cut after the Relu, before the Softmax");
                assertTrue(model.incremental().rows > 0);
            }
            // a result that differs from the unperturbed one at all: the check above compares something
            assertTrue(java.util.Arrays.stream(full.values().toDoubleArray()).anyMatch(v -> Math.abs(v) > 1e-4));
        }
    }

    private static ai.onnx.proto.OnnxMl.TensorProto floats(String name, java.util.Random rnd, long... dims) {
        var t = ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName(name)
                .setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE);
        long n = 1;
        for (long d : dims) {
            t.addDims(d);
            n *= d;
        }
        for (long i = 0; i < n; i++) {
            t.addFloatData((float) rnd.nextGaussian());
        }
        return t.build();
    }

    private static ai.onnx.proto.OnnxMl.NodeProto node(String op, String name, String out,
                                                        ai.onnx.proto.OnnxMl.AttributeProto attr, String... in) {
        var n = ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name + "_" + op).addOutput(out);
        for (String i : in) {
            n.addInput(i);
        }
        if (attr != null) {
            n.addAttribute(attr);
        }
        return n.build();
    }

    private static ai.onnx.proto.OnnxMl.ValueInfoProto vi(String name, long... dims) {
        var s = ai.onnx.proto.OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                    : ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(ai.onnx.proto.OnnxMl.TypeProto
                .newBuilder().setTensorType(ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }

    static ai.onnx.proto.OnnxMl.ModelProto proto(OnnxModel m) {
        try (java.io.InputStream in = m.openModel()) {
            return ai.onnx.proto.OnnxMl.ModelProto.parseFrom(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Groups of {@code p x p} spatial patches, all channels together. */
    static FeatureMask patches(int[] ex, int p) {
        int h = ex[1];
        int w = ex[2];
        int per = (w + p - 1) / p;
        long[] ids = new long[ex[0] * h * w];
        for (int c = 0; c < ex[0]; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    ids[(c * h + y) * w + x] = (y / p) * per + x / p;
                }
            }
        }
        return FeatureMask.of(Tensor.ofLongs(ids, 1, ex[0], h, w));
    }
}
