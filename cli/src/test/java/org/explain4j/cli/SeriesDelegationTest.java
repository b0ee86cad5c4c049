package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.metrics.Randomisable;
import org.explain4j.core.model.Model;
import org.explain4j.onnx.grad.LayerSwitch;
import org.junit.jupiter.api.Test;

/**
 * The CLI's models hand MPRT's series to the ONNX backend ({@code ModelLoader.Loaded.series},
 * {@code Evaluation.SharedRandomisation.series}): within a series, the original explained through it
 * ({@code explainOriginal}) compiles and runs on the switched session that the randomised copies
 * share. Without the delegation (the interface's default series) no switched session is ever compiled.
 */
class SeriesDelegationTest {
    private static final Path RESIDUAL = Path.of("../fixtures/models/residual_cnn.onnx");

    private static float[] saliency(Model m, Tensor x) {
        return MethodCatalog.create("saliency", m, Map.of(), ProgressListener.NONE).attribute(x, Target.of(new int[] {0, 1, 2}))
                .values().toFloatArray();
    }

    /** Switched sessions compiled while {@code r}'s series explains the original and one randomised copy. */
    private static int switchedCompiles(Randomisable r, Model original, Tensor x) throws Exception {
        int before = LayerSwitch.compiledSessions();
        int passes = LayerSwitch.originalPasses();
        try (Randomisable.Series s = r.series(13)) {
            s.explainOriginal(() -> saliency(original, x));
            assertThat(LayerSwitch.originalPasses() - passes).as("the original's pass on the switched session").isEqualTo(1);
            try (Model copy = r.randomised(r.layers(), 13)) {
                saliency(copy, x);
            }
            // loaded with one intra-op thread (below): one copy at a time
            assertThat(s.copiesAtOnce()).isEqualTo(1);
        }
        assertThat(LayerSwitch.openSessions()).as("closed with the series").isZero();
        return LayerSwitch.compiledSessions() - before;
    }

    @Test
    void loadedModel_andTheSharedRandomisation_delegateTheSeriesToTheOnnxBackend() throws Exception {
        Tensor x = Npy.read(Path.of("../fixtures/models/residual_cnn_x.npy"));
        try (ModelLoader.Loaded loaded = ModelLoader.load(RESIDUAL, 1, null, null)) {
            assertThat(switchedCompiles(loaded, loaded, x)).as("through ModelLoader.Loaded").isEqualTo(1);
            Evaluation.SharedRandomisation shared = new Evaluation.SharedRandomisation(loaded);
            assertThat(switchedCompiles(shared, shared, x)).as("through Evaluation.SharedRandomisation").isEqualTo(1);
        }
    }
}
