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
            System.out.println("INCR " + modelPath + " ops " + g.ops.size() + " cuts " + cuts + " stopped at " + g.stoppedAt);
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
