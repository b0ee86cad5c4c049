package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.Explainer;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricSpec;
import org.explain4j.core.metrics.Randomisable;
import org.explain4j.core.model.Model;
import org.explain4j.onnx.grad.LayerSwitch;
import org.explain4j.onnx.grad.LayerSwitchGraph;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.ReweightedModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;

/**
 * MPRT's layer switch (one backward session for all randomised copies of a series, every layer
 * switched between its weights and its draws by If nodes): the same attributions and scores as
 * the copies' own sessions within float rounding, bit-identical from run to run and with or
 * without the lookahead, one session compiled per metric call and closed after it, and the
 * fallbacks (rule sets that merge BatchNorm, copies outside a series, graphs the rewrite refuses).
 */
class LayerSwitchTest {
    private static final Path RESIDUAL = Path.of("../fixtures/models/residual_cnn.onnx");
    private static final Path DIGITS = Path.of("../examples/digits");

    private static Tensor residualX() {
        return Npy.read(Path.of("../fixtures/models/residual_cnn_x.npy"));
    }

    private static Tensor digitsX() {
        return Npy.read(DIGITS.resolve("digits_x.npy"));
    }

    /**
     * Scores, switched sessions compiled, most copy / switched sessions open at an explanation, and
     * open after, the threads that explained the randomised copies, the passes served from a hoisted
     * part, and the pass results a hoisted part's cache still held after the metric (its series closed).
     */
    private record Run(double[] scores, int switchedCompiled, int mostCopySessions, int switchedOpenAfter,
                       int copyOpenAfter, java.util.Set<String> copyThreads, int hoistServed, int hoistHeldAfter) {
    }

    private static Run metric(Path model, Tensor x, int[] targets, String metric, Map<String, Object> params, String method,
                              boolean switched, boolean pipelined) {
        return metric(model, x, targets, metric, params, method, switched, pipelined, true);
    }

    private static Run metric(Path model, Tensor x, int[] targets, String metric, Map<String, Object> params, String method,
                              boolean switched, boolean pipelined, boolean concurrent) {
        System.setProperty("explain4j.mprt.lookahead", pipelined ? "1" : "0");
        System.setProperty(RandomisableOnnxModel.SWITCHED, switched ? "on" : "off");
        System.setProperty(LayerSwitch.CONCURRENT, concurrent ? "on" : "off");
        java.util.Set<String> copyThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        int copyBefore = ReweightedModel.openSessions();
        int switchedBefore = LayerSwitch.openSessions();
        int compiledBefore = LayerSwitch.compiledSessions();
        int servedBefore = LayerSwitch.hoistServed();
        int heldBefore = LayerSwitch.hoistHeld();
        AtomicInteger most = new AtomicInteger();
        Explainer e = (m, input, t) -> {
            Tensor out = MethodCatalog.create(method, m, Map.of(), ProgressListener.NONE).attribute(input, Target.of(t))
                    .values();
            most.accumulateAndGet(ReweightedModel.openSessions() - copyBefore, Math::max);
            if (m instanceof ReweightedModel) {
                copyThreads.add(Thread.currentThread().getName());
            }
            return out;
        };
        try (OnnxModel onnx = OnnxModel.load(model);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            try {
                Tensor a = e.explain(r, x, targets);
                MetricSpec spec = MetricCatalog.get(metric);
                double[] s = spec.factory().create(spec.bind(params)).evaluate(new MetricInput(r, x, a, targets,
                        Optional.empty(), Optional.of(e), 42, 64, ProgressListener.NONE)).values().toDoubleArray();
                return new Run(s, LayerSwitch.compiledSessions() - compiledBefore, most.get(),
                        LayerSwitch.openSessions() - switchedBefore, ReweightedModel.openSessions() - copyBefore,
                        java.util.Set.copyOf(copyThreads), LayerSwitch.hoistServed() - servedBefore,
                        LayerSwitch.hoistHeld() - heldBefore);
            } finally {
                r.close();
            }
        } finally {
            System.clearProperty("explain4j.mprt.lookahead");
            System.clearProperty(RandomisableOnnxModel.SWITCHED);
            System.clearProperty(LayerSwitch.CONCURRENT);
        }
    }

    private static long[] bits(double[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Double.doubleToRawLongBits(v[i]);
        }
        return out;
    }

    private static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static void checkMprt(Path model, Tensor x, int[] targets, int layers, String method) {
        for (String order : List.of("top_down", "bottom_up", "independent")) {
            Map<String, Object> params = Map.of("layer-order", order);
            Run own = metric(model, x, targets, "mprt", params, method, false, true);
            Run sw = metric(model, x, targets, "mprt", params, method, true, true);
            Run again = metric(model, x, targets, "mprt", params, method, true, false);
            Run oneAtATime = metric(model, x, targets, "mprt", params, method, true, true, false);
            int columns = layers + 1;
            // the fixtures load with ONNX Runtime's own thread count: two copies at once on a machine
            // with two or more processors, each pass on a one-thread share of the switched session
            boolean twoAtOnce = Runtime.getRuntime().availableProcessors() >= 2;
            // the original (column 0) runs on one of the two helpers and the copies beside it, as soon
            // as its request has the switched session: with a small model one helper may take every copy
            if (twoAtOnce) {
                assertThat(sw.copyThreads()).as("%s %s: the copies are explained on the helper threads",
                        model.getFileName(), order).isNotEmpty().hasSizeLessThanOrEqualTo(2)
                        .allMatch(t -> t.startsWith("explain4j-mprt-copy-"));
            } else {
                assertThat(sw.copyThreads()).containsExactly(Thread.currentThread().getName());
            }
            assertThat(again.copyThreads()).as("without the lookahead: one after the other on the calling thread")
                    .containsExactly(Thread.currentThread().getName());
            assertThat(oneAtATime.copyThreads()).containsExactly(Thread.currentThread().getName());
            assertThat(bits(oneAtATime.scores())).as("%s %s: two copies at once on one-thread passes give the bits of "
                    + "one at a time on the model's threads", model.getFileName(), order).containsExactly(bits(sw.scores()));
            assertThat(oneAtATime.switchedCompiled()).isEqualTo(1);
            // the hoisted lower parts: copies whose layers below a cut (a quarter, half, three quarters
            // of the layers) are all unchanged take that part's values from the first such pass; the
            // same bits as computing them
            int cut = layers / 4 > 0 ? layers / 4 : layers / 2;
            System.setProperty(LayerSwitch.HOIST, "off");
            Run unhoisted;
            try {
                unhoisted = metric(model, x, targets, "mprt", params, method, true, false);
            } finally {
                System.clearProperty(LayerSwitch.HOIST);
            }
            assertThat(unhoisted.hoistServed()).isZero();
            assertThat(bits(again.scores())).as("%s %s: hoisted or not, the same bits", model.getFileName(), order)
                    .containsExactly(bits(unhoisted.scores()));
            // one copy at a time: the original (column 0, on the switched session with every layer kept)
            // computes every part, and each copy whose layers below the lowest cut are unchanged is served
            assertThat(again.hoistServed()).as("%s %s: copies served from the hoisted part", model.getFileName(), order)
                    .isEqualTo(order.equals("bottom_up") ? 0 : layers - cut);
            assertThat(oneAtATime.switchedOpenAfter()).isZero();
            // every pass result a hoisted part's cache kept is closed with the series
            for (Run run : List.of(sw, again, oneAtATime, unhoisted)) {
                assertThat(run.hoistHeldAfter()).as("%s %s: hoisted results still open after the series",
                        model.getFileName(), order).isZero();
            }
            assertThat(sw.scores()).hasSize(x.batchSize() * columns);
            assertThat(maxDiff(sw.scores(), own.scores())).as("%s %s: switched scores equal the copies' own sessions' "
                    + "within float rounding", model.getFileName(), order).isLessThan(1e-6);
            assertThat(bits(again.scores())).as("%s %s: bit-identical again, without the lookahead", model.getFileName(),
                    order).containsExactly(bits(sw.scores()));
            for (int n = 0; n < x.batchSize(); n++) {
                assertThat(sw.scores()[n * columns]).isEqualTo(1.0);
                assertThat(sw.scores()[n * columns + 1]).as("the randomised weights were used").isLessThan(0.9999);
            }
            assertThat(own.switchedCompiled()).as("switched off: no switched session").isZero();
            assertThat(own.mostCopySessions()).as("switched off: the copies' own sessions").isBetween(1, 2);
            assertThat(sw.switchedCompiled()).as("one switched session for all %d copies", layers).isEqualTo(1);
            assertThat(again.switchedCompiled()).isEqualTo(1);
            assertThat(sw.mostCopySessions()).as("no copy compiles a session of its own").isZero();
            assertThat(sw.switchedOpenAfter()).as("the switched session is closed after the metric").isZero();
            assertThat(sw.copyOpenAfter()).isZero();
            assertThat(own.copyOpenAfter()).isZero();
        }
    }

    @Test
    void residualCnn_saliency_mprtOnTheSwitchedSession_equalsTheCopiesOwnSessions_inEveryLayerOrder() {
        checkMprt(RESIDUAL, residualX(), new int[] {0, 3, 4}, 4, "saliency");
    }

    @Test
    void digitsCnn_inputXGradient_mprtOnTheSwitchedSession_equalsTheCopiesOwnSessions_inEveryLayerOrder() {
        checkMprt(DIGITS.resolve("digits_cnn.onnx"), digitsX(), new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 3, "input-x-gradient");
    }

    @Test
    void smoothAndEfficientMprt_switchedOrNot_agree() {
        Tensor x = residualX();
        int[] targets = {0, 3, 4};
        Map<String, Object> smooth = Map.of("nr-samples", 3);
        Run own = metric(RESIDUAL, x, targets, "smooth-mprt", smooth, "saliency", false, true);
        Run sw = metric(RESIDUAL, x, targets, "smooth-mprt", smooth, "saliency", true, true);
        assertThat(maxDiff(sw.scores(), own.scores())).isLessThan(1e-6);
        assertThat(sw.switchedCompiled()).as("smooth-mprt's steps share one switched session").isEqualTo(1);
        // top-down, so that the hoisted part could apply: smooth-mprt's noisy inputs differ per column
        // (served another column's lower values, its explanations would change: checked by making
        // the cache ignore its key)
        Map<String, Object> topDown = Map.of("nr-samples", 3, "layer-order", "top_down");
        System.setProperty(LayerSwitch.HOIST, "off");
        Run unhoisted;
        try {
            unhoisted = metric(RESIDUAL, x, targets, "smooth-mprt", topDown, "saliency", true, false);
        } finally {
            System.clearProperty(LayerSwitch.HOIST);
        }
        Run sequential = metric(RESIDUAL, x, targets, "smooth-mprt", topDown, "saliency", true, false);
        Run atOnce = metric(RESIDUAL, x, targets, "smooth-mprt", topDown, "saliency", true, true);
        assertThat(bits(sequential.scores())).containsExactly(bits(unhoisted.scores()));
        assertThat(bits(atOnce.scores())).containsExactly(bits(unhoisted.scores()));
        assertThat(sequential.hoistServed()).as("each column's samples are one pass of 9 rows, the noisy ones new")
                .isZero();
        assertThat(sw.switchedOpenAfter()).isZero();
        for (Run run : List.of(sw, unhoisted, sequential, atOnce)) {
            assertThat(run.hoistHeldAfter()).as("hoisted results still open after the series").isZero();
        }
        // efficient-mprt makes one copy: no series, the copy's own session, the same bits either way
        Run e1 = metric(RESIDUAL, x, targets, "efficient-mprt", Map.of(), "saliency", false, true);
        Run e2 = metric(RESIDUAL, x, targets, "efficient-mprt", Map.of(), "saliency", true, true);
        assertThat(bits(e2.scores())).containsExactly(bits(e1.scores()));
        assertThat(e2.switchedCompiled()).isZero();
    }

    private static float[] attribution(Model model, String method, Map<String, Object> params, Tensor x, int[] targets) {
        return MethodCatalog.create(method, model, params, ProgressListener.NONE).attribute(x, Target.of(targets)).values()
                .toFloatArray();
    }

    private static double maxRelDiff(float[] a, float[] b) {
        double scale = 0;
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(b[i]));
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m / scale;
    }

    @Test
    void copiesInASeries_runOnTheSwitchedSession_withTheirOwnWeights() {
        for (Path file : List.of(DIGITS.resolve("digits_cnn.onnx"), RESIDUAL)) {
            Tensor x = file.equals(RESIDUAL) ? residualX() : digitsX();
            int[] targets = new int[x.batchSize()];
            for (int n = 0; n < targets.length; n++) {
                targets[n] = n % 3;
            }
            try (OnnxModel onnx = OnnxModel.load(file);
                 OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
                RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
                List<String> all = r.layers();
                float[] original = attribution(d, "saliency", Map.of(), x, targets);
                List<List<String>> sets = List.of(List.of(all.get(all.size() - 1)), all.subList(all.size() - 2, all.size()),
                        all, List.of(all.get(1)), List.of(all.get(0)));
                Map<List<String>, Map<String, float[]>> outside = new HashMap<>();
                for (List<String> layers : sets) {
                    Map<String, float[]> byMethod = new LinkedHashMap<>();
                    for (String method : List.of("saliency", "input-x-gradient", "guided-backprop")) {
                        try (Model m = r.randomised(layers, 42)) {
                            byMethod.put(method, attribution(m, method, Map.of(), x, targets));
                            assertThat(((ReweightedModel) m).switchedPasses()).as("outside a series").isZero();
                        }
                    }
                    outside.put(layers, byMethod);
                }
                int compiled = LayerSwitch.compiledSessions();
                try (Randomisable.Series s = r.series(42)) {
                    for (List<String> layers : sets) {
                        for (String method : List.of("saliency", "input-x-gradient", "guided-backprop")) {
                            float[] own = outside.get(layers).get(method);
                            try (Model m = r.randomised(layers, 42)) {
                                float[] sw = attribution(m, method, Map.of(), x, targets);
                                assertThat(((ReweightedModel) m).switchedPasses()).as("%s %s %s", file, layers, method)
                                        .isPositive();
                                assertThat(maxRelDiff(sw, own)).as("%s %s %s: the copy's own weights", file, layers, method)
                                        .isLessThan(1e-5);
                                if (method.equals("saliency")) {
                                    assertThat(maxRelDiff(sw, original)).as("%s %s: not the original's", file, layers)
                                            .isGreaterThan(1e-3);
                                }
                            }
                            // a copy of another seed is not the series': its own session, its own draws
                            try (Model m = r.randomised(layers, 7)) {
                                attribution(m, method, Map.of(), x, targets);
                                assertThat(((ReweightedModel) m).switchedPasses()).isZero();
                            }
                        }
                    }
                    assertThat(LayerSwitch.compiledSessions() - compiled)
                            .as("one switched session per backward graph (the three methods' requests)").isBetween(1, 3);
                    assertThat(LayerSwitch.openSessions()).isPositive();
                }
                assertThat(LayerSwitch.openSessions()).as("closed with the series").isZero();
                assertThat(attribution(d, "saliency", Map.of(), x, targets)).containsExactly(original);
                r.close();
            }
        }
    }

    /**
     * The hoisted lower part's cache serves only a pass with the same input and every layer below
     * the cut unchanged: another input, or a copy with a low layer randomised, computes its own
     * values, and every attribution equals the unhoisted session's to the bit.
     */
    @Test
    void hoistedPart_servesOnlyTheSameInput_withTheLowLayersUnchanged() {
        Tensor x1 = residualX();
        float[] v = x1.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] * 0.5f + 0.25f;
        }
        Tensor x2 = Tensor.ofFloats(v, x1.shape());
        int[] targets = new int[x1.batchSize()];
        for (int n = 0; n < targets.length; n++) {
            targets[n] = n % 3;
        }
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            List<String> all = r.layers();
            List<String> top = List.of(all.get(all.size() - 1));
            List<String> upper = all.subList(all.size() / 2, all.size());
            List<String> low = List.of(all.get(0), all.get(all.size() - 1));
            // the passes in order: (copy, input)
            List<Map.Entry<List<String>, Tensor>> passes = List.of(Map.entry(top, x1), Map.entry(upper, x1),
                    Map.entry(top, x2), Map.entry(low, x2), Map.entry(low, x1), Map.entry(upper, x2), Map.entry(top, x1));
            List<float[]> reference = new ArrayList<>();
            System.setProperty(LayerSwitch.HOIST, "off");
            try (Randomisable.Series s = r.series(11)) {
                for (Map.Entry<List<String>, Tensor> p : passes) {
                    try (Model m = r.randomised(p.getKey(), 11)) {
                        reference.add(attribution(m, "saliency", Map.of(), p.getValue(), targets));
                    }
                }
            } finally {
                System.clearProperty(LayerSwitch.HOIST);
            }
            // cuts 1, 2, 3 of 4 layers; served: the 2nd (same input, layers 0-1 unchanged: below cut 2),
            // the 6th (x2 again after the 3rd computed it; the 4th and 5th randomise layer 0 and
            // neither read nor replace the cache)
            boolean[] served = {false, true, false, false, false, true, false};
            // computed (and kept): the 1st, the 3rd (a new input) and the 7th (x1 again, after the 3rd
            // replaced the cache of every level); the 4th and 5th switch layer 0 on, below every cut
            boolean[] computed = {true, false, true, false, false, false, true};
            int heldBefore = LayerSwitch.hoistHeld();
            try (Randomisable.Series s = r.series(11)) {
                for (int i = 0; i < passes.size(); i++) {
                    Map.Entry<List<String>, Tensor> p = passes.get(i);
                    int before = LayerSwitch.hoistServed();
                    int computedBefore = LayerSwitch.hoistComputed();
                    try (Model m = r.randomised(p.getKey(), 11)) {
                        float[] got = attribution(m, "saliency", Map.of(), p.getValue(), targets);
                        assertThat(((ReweightedModel) m).switchedPasses()).isPositive();
                        assertThat(LayerSwitch.hoistServed() - before).as("pass %d served", i).isEqualTo(served[i] ? 1 : 0);
                        assertThat(LayerSwitch.hoistComputed() - computedBefore).as("pass %d computed", i)
                                .isEqualTo(computed[i] ? 1 : 0);
                        assertThat(got).as("pass %d: the unhoisted session's bits", i).containsExactly(reference.get(i));
                    }
                    // one result holds the values of every level (the 1st computes all three); a
                    // pass that replaces them closes the one it replaces
                    assertThat(LayerSwitch.hoistHeld() - heldBefore).as("results held after pass %d", i).isEqualTo(1);
                }
            }
            assertThat(LayerSwitch.hoistHeld() - heldBefore).as("held results closed with the series").isZero();
            // the passes differ, so serving the wrong values would show
            assertThat(reference.get(0)).isNotEqualTo(reference.get(2));
            assertThat(reference.get(0)).isNotEqualTo(reference.get(4));
            assertThat(reference.get(0)).isNotEqualTo(reference.get(1));
            assertThat(LayerSwitch.openSessions()).isZero();
            r.close();
        }
    }

    /**
     * The fed inputs are part of the hoisted part's cache key: the gated MLP ({@code fc2(relu(fc1(x *
     * mask)))}, 2 layers, cut 1) explained for the same {@code x} with another {@code mask} (on the same
     * switched session: the masks are too large to key the session by value) computes
     * its own lower values (served the first mask's, its gradient would keep the first mask's zeros),
     * and every attribution equals the unhoisted session's to the bit.
     */
    @Test
    void hoistedPart_servesOnlyTheSameFedInputs() {
        Path file = Path.of("../fixtures/models/gated_mlp.onnx");
        // 12 examples, so that a mask has more elements than the session cache keys by value
        // (OnnxDifferentiableModel.SMALL_FED_INPUT): both masks share one switched session and its cache
        Tensor x2 = Npy.read(Path.of("../fixtures/models/gated_mlp_x.npy"));
        Tensor m2 = Npy.read(Path.of("../fixtures/models/gated_mlp_mask.npy"));
        int rows = 12;
        int f = x2.size() / x2.batchSize();
        float[] xv = new float[rows * f];
        long[] mv = new long[rows * f];
        long[] ones = new long[rows * f];
        for (int i = 0; i < rows * f; i++) {
            int k = i % (2 * f);
            xv[i] = (float) x2.getDouble(k) * (1 + i / (2 * f)) * 0.5f;
            mv[i] = (long) m2.getDouble(k);
            ones[i] = 1;
        }
        Tensor x = Tensor.ofFloats(xv, rows, f);
        Tensor mask1 = Tensor.ofLongs(mv, rows, f);
        Tensor mask2 = Tensor.ofLongs(ones, rows, f);
        assertThat(mask1.size()).isGreaterThan(64);
        int[] targets = new int[rows];
        for (int n = 0; n < rows; n++) {
            targets[n] = n % 2;
        }
        try (OnnxModel onnx = OnnxModel.load(file);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            List<String> all = r.layers();
            assertThat(all).hasSize(2);
            List<String> top = List.of(all.get(1));
            // (fed mask) per pass, all on the same explained x with the top layer randomised
            List<Tensor> masks = List.of(mask1, mask2, mask2, mask1);
            List<float[]> reference = new ArrayList<>();
            System.setProperty(LayerSwitch.HOIST, "off");
            try (Randomisable.Series s = r.series(5)) {
                for (Tensor mask : masks) {
                    try (Model m = r.randomised(top, 5)) {
                        reference.add(fedAttribution(m, x, mask, targets));
                    }
                }
            } finally {
                System.clearProperty(LayerSwitch.HOIST);
            }
            // served: only the 3rd (the 2nd's mask again); computed: the 1st, the 2nd (another mask)
            // and the 4th (the first mask again, after the 2nd replaced the cache)
            boolean[] served = {false, false, true, false};
            boolean[] computed = {true, true, false, true};
            int heldBefore = LayerSwitch.hoistHeld();
            int compiledBefore = LayerSwitch.compiledSessions();
            try (Randomisable.Series s = r.series(5)) {
                for (int i = 0; i < masks.size(); i++) {
                    int servedBefore = LayerSwitch.hoistServed();
                    int computedBefore = LayerSwitch.hoistComputed();
                    try (Model m = r.randomised(top, 5)) {
                        float[] got = fedAttribution(m, x, masks.get(i), targets);
                        assertThat(((ReweightedModel) m).switchedPasses()).as("pass %d on the switched session", i)
                                .isPositive();
                        assertThat(LayerSwitch.hoistServed() - servedBefore).as("pass %d served", i)
                                .isEqualTo(served[i] ? 1 : 0);
                        assertThat(LayerSwitch.hoistComputed() - computedBefore).as("pass %d computed", i)
                                .isEqualTo(computed[i] ? 1 : 0);
                        assertThat(got).as("pass %d: the unhoisted session's bits", i).containsExactly(reference.get(i));
                    }
                }
            }
            assertThat(LayerSwitch.compiledSessions() - compiledBefore).as("both masks on one switched session")
                    .isEqualTo(1);
            assertThat(LayerSwitch.hoistHeld() - heldBefore).as("held results closed with the series").isZero();
            // the masks change the attribution, so serving the other mask's values would show
            assertThat(reference.get(0)).isNotEqualTo(reference.get(1));
            assertThat(reference.get(3)).containsExactly(reference.get(0));
            r.close();
        }
    }

    private static float[] fedAttribution(Model model, Tensor x, Tensor mask, int[] targets) {
        return MethodCatalog.create("saliency", model, Map.of(), ProgressListener.NONE)
                .attribute(x, org.explain4j.core.model.FedInputs.of(Map.of("mask", mask)), Target.of(targets)).values()
                .toFloatArray();
    }

    @Test
    void branchWeightsFromAFile_giveTheBitsOfWeightsInsideTheModel() {
        Tensor x = residualX();
        int[] targets = {0, 3, 4};
        Map<String, Object> params = Map.of("layer-order", "top_down");
        int files = LayerSwitch.weightsFileSessions();
        Path folder;
        Run fromFile;
        try {
            folder = java.nio.file.Files.createTempDirectory("explain4j-weights-test");
            System.setProperty("explain4j.mprt.weightsDir", folder.toString());
            fromFile = metric(RESIDUAL, x, targets, "mprt", params, "saliency", true, false);
            try (var left = java.nio.file.Files.list(folder)) {
                assertThat(left.toList()).as("the weights file is removed once the session is made").isEmpty();
            }
            java.nio.file.Files.delete(folder);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            System.clearProperty("explain4j.mprt.weightsDir");
        }
        assertThat(LayerSwitch.weightsFileSessions() - files).as("the switched session read its branch weights from a file")
                .isEqualTo(1);
        System.setProperty(LayerSwitch.WEIGHTS_FILE, "off");
        Run inside;
        try {
            inside = metric(RESIDUAL, x, targets, "mprt", params, "saliency", true, false);
        } finally {
            System.clearProperty(LayerSwitch.WEIGHTS_FILE);
        }
        assertThat(LayerSwitch.weightsFileSessions() - files).as("off: the weights inside the model").isEqualTo(1);
        assertThat(fromFile.switchedCompiled()).isEqualTo(1);
        assertThat(inside.switchedCompiled()).isEqualTo(1);
        assertThat(fromFile.hoistServed()).as("hoisted parts served either way").isEqualTo(inside.hoistServed()).isPositive();
        assertThat(bits(fromFile.scores())).as("the same session either way: the same bits")
                .containsExactly(bits(inside.scores()));
    }

    @Test
    void lrpInASeries_fallsBackToTheEditedGraph_withTheSameBits() {
        Tensor x = residualX();
        int[] targets = new int[x.batchSize()];
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            List<String> layers = r.layers().subList(0, 2);
            Map<String, Object> eps = Map.of("composite", "epsilon-plus");
            float[] outside;
            try (Model m = r.randomised(layers, 5)) {
                outside = attribution(m, "lrp", eps, x, targets);
            }
            try (Randomisable.Series s = r.series(5); Model m = r.randomised(layers, 5)) {
                // LRP merges each BatchNorm into the Conv before it from the randomised weights: no switch
                float[] inside = attribution(m, "lrp", eps, x, targets);
                assertThat(((ReweightedModel) m).switchedPasses()).isZero();
                assertThat(((ReweightedModel) m).rebuiltUsed()).isTrue();
                assertThat(inside).containsExactly(outside);
            }
            r.close();
        }
    }

    @Test
    void anOriginalExplainedThroughASeries_preparesTheSwitchedSession_notItsOwn() throws Exception {
        Tensor x = residualX();
        int[] targets = {0, 1, 2};
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            int compiled = LayerSwitch.compiledSessions();
            int passes = LayerSwitch.originalPasses();
            int[] shape = x.shape().clone();
            try (Randomisable.Series s = r.series(9)) {
                boolean[] preparedFirst = new boolean[1];
                float[] out = s.explainOriginal(() -> {
                    // what a method with an explicit batch size does first (MethodRun.prepareGradients)
                    d.prepare(BackwardRequest.gradientOfInput(), shape);
                    long end = System.nanoTime() + 60_000_000_000L;
                    while (LayerSwitch.compiledSessions() == compiled && System.nanoTime() < end) {
                        Thread.onSpinWait();
                    }
                    preparedFirst[0] = LayerSwitch.compiledSessions() != compiled;
                    return attribution(d, "saliency", Map.of(), x, targets);
                });
                assertThat(preparedFirst[0]).as("the preparation compiled the switched session").isTrue();
                assertThat(out).hasSize(x.size());
                assertThat(LayerSwitch.compiledSessions() - compiled).as("prepared: the switched session").isEqualTo(1);
                assertThat(LayerSwitch.originalPasses() - passes).as("the original's pass took it").isEqualTo(1);
                try (Model m = r.randomised(r.layers(), 9)) {
                    attribution(m, "saliency", Map.of(), x, targets);
                    assertThat(((ReweightedModel) m).switchedPasses()).isPositive();
                }
                assertThat(LayerSwitch.compiledSessions() - compiled).as("the copy found it made").isEqualTo(1);
            }
            assertThat(LayerSwitch.openSessions()).isZero();
            r.close();
        }
    }

    @Test
    void anOriginalThatFails_isReported_andLeavesOneCopyAtATime() {
        Tensor x = residualX();
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            int passes = LayerSwitch.originalPasses();
            try (Randomisable.Series s = r.series(31)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.explainOriginal(() -> {
                    throw new IllegalStateException("the method failed");
                })).hasMessage("the method failed");
                assertThat(s.copiesAtOnce()).as("no request: one copy at a time, without waiting").isEqualTo(1);
                // after it, this thread's backward passes are the template's own again
                float[] own = attribution(d, "saliency", Map.of(), x, new int[] {0, 1, 2});
                assertThat(own).hasSize(x.size());
                assertThat(LayerSwitch.originalPasses() - passes).isZero();
            }
            r.close();
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void theOriginalExplainedThroughASeries_runsOnTheSwitchedSession_andDecidesHowManyCopiesAtOnce() throws Exception {
        Tensor x = residualX();
        int[] targets = {0, 1, 2};
        int width = Runtime.getRuntime().availableProcessors() >= 2 ? 2 : 1;
        java.util.concurrent.ExecutorService helper = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            float[] own = attribution(d, "saliency", Map.of(), x, targets);
            int passes = LayerSwitch.originalPasses();
            int compiled = LayerSwitch.compiledSessions();
            try (Randomisable.Series s = r.series(21)) {
                assertThat(s.copiesAtOnce()).as("before the original has begun through the series").isEqualTo(1);
                java.util.concurrent.CountDownLatch begun = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.Future<float[]> f = helper.submit(() -> s.explainOriginal(() -> {
                    begun.countDown();
                    return attribution(d, "saliency", Map.of(), x, targets);
                }));
                begun.await();
                assertThat(s.copiesAtOnce()).as("asked while the original runs: its request got the switched session")
                        .isEqualTo(width);
                float[] switched = f.get();
                assertThat(LayerSwitch.originalPasses() - passes).as("the original's pass on the switched session").isEqualTo(1);
                assertThat(LayerSwitch.compiledSessions() - compiled).isEqualTo(1);
                double largest = 0;
                for (float v : own) {
                    largest = Math.max(largest, Math.abs(v));
                }
                assertThat(largest).isPositive();
                double diff = 0;
                for (int i = 0; i < own.length; i++) {
                    diff = Math.max(diff, Math.abs(switched[i] - own[i]));
                }
                assertThat(diff).as("every layer kept: the model's own explanation within float rounding")
                        .isLessThanOrEqualTo(1e-5 * largest);
                // outside explainOriginal, on this thread: the template's own session, as always
                assertThat(attribution(d, "saliency", Map.of(), x, targets)).containsExactly(own);
                assertThat(LayerSwitch.originalPasses() - passes).isEqualTo(1);
                try (Model m = r.randomised(r.layers(), 21)) {
                    assertThat(attribution(m, "saliency", Map.of(), x, targets)).isNotEqualTo(own);
                    assertThat(((ReweightedModel) m).switchedPasses()).as("a copy shares the session").isPositive();
                }
                assertThat(LayerSwitch.compiledSessions() - compiled).isEqualTo(1);
            }
            try (Randomisable.Series s = r.series(22)) {
                // LRP merges BatchNorm into the weights: no switched session, the original on its own
                java.util.concurrent.CountDownLatch begun = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.Future<float[]> f = helper.submit(() -> s.explainOriginal(() -> {
                    begun.countDown();
                    return attribution(d, "lrp", Map.of("composite", "epsilon-plus"), x, targets);
                }));
                begun.await();
                assertThat(s.copiesAtOnce()).isEqualTo(1);
                f.get();
                assertThat(LayerSwitch.originalPasses() - passes).isEqualTo(1);
            }
            try (Randomisable.Series s = r.series(23)) {
                // no backward request at all (a perturbation method): one copy at a time, without waiting
                assertThat(s.explainOriginal(() -> 7)).isEqualTo(7);
                assertThat(s.copiesAtOnce()).isEqualTo(1);
            }
            assertThat(LayerSwitch.openSessions()).isZero();
            r.close();
        } finally {
            helper.shutdownNow();
        }
    }

    @Test
    void randomisedCopies_estimateTheirRowMemoryAsTheTemplate_forAutomaticBatches() {
        Tensor x = residualX();
        int[] shape = x.shape().clone();
        shape[0] = 1;
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        Tensor row = Tensor.ofFloats(new float[n], shape);
        var call = org.explain4j.core.engine.RowMemory.Call.BACKWARD;
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            long template = org.explain4j.core.engine.BatchSize.bytesPerRow(d, row, Map.of(), call);
            // the activations of a backward pass, far more than the input and output rows
            assertThat(template).isGreaterThan(4L * (n + 16));
            try (Model copy = r.randomised(r.layers().subList(0, 1), 5)) {
                assertThat(org.explain4j.core.engine.BatchSize.bytesPerRow(copy, row, Map.of(), call))
                        .as("a copy has the template's graph and shapes").isEqualTo(template);
            }
            r.close();
        }
    }

    @Test
    void aGraphTheRewriteRefuses_fallsBackToTheCopysOwnSession_withTheSameBits() throws Exception {
        Tensor x = residualX();
        int[] targets = {0, 1, 2};
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            List<String> layers = r.layers();
            float[] own;
            try (Model m = r.randomised(layers, 4)) {
                own = attribution(m, "saliency", Map.of(), x, targets);
            }
            // the same draws as one switchable set, plus a layer whose initializer the graph lacks:
            // the rewrite refuses the graph, so the copy compiles its own session
            Map<String, TensorProto> model = new HashMap<>();
            ModelProto.parseFrom(onnx.modelBytes()).getGraph().getInitializerList().forEach(t -> model.put(t.getName(), t));
            Map<String, TensorProto> replaced = new HashMap<>();
            for (TensorProto t : r.randomisedProto(layers, 4).getGraph().getInitializerList()) {
                if (!t.equals(model.get(t.getName()))) {
                    replaced.put(t.getName(), t);
                }
            }
            assertThat(replaced).isNotEmpty();
            TensorProto fake = replaced.values().iterator().next().toBuilder().setName("no_such_initializer").build();
            int copySessions = ReweightedModel.openSessions();
            try (LayerSwitch sw = new LayerSwitch(d, List.of(replaced, Map.of("no_such_initializer", fake)));
                 ReweightedModel m = d.reweighted(replaced, onnx.info(), () -> {
                     throw new AssertionError("no rebuild expected");
                 }, sw)) {
                float[] fallback = attribution(m, "saliency", Map.of(), x, targets);
                assertThat(m.switchedPasses()).isZero();
                assertThat(ReweightedModel.openSessions() - copySessions).as("its own session").isEqualTo(1);
                assertThat(fallback).containsExactly(own);
            }
            assertThat(ReweightedModel.openSessions()).isEqualTo(copySessions);
            r.close();
        }
    }

    @Test
    void switchOff_orASeriesClosedTwice_changesNothing() {
        Tensor x = residualX();
        int[] targets = {0, 1, 2};
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            List<String> all = r.layers();
            float[] outside;
            try (Model m = r.randomised(all, 3)) {
                outside = attribution(m, "saliency", Map.of(), x, targets);
            }
            System.setProperty(RandomisableOnnxModel.SWITCHED, "off");
            try (Randomisable.Series s = r.series(3); Model m = r.randomised(all, 3)) {
                assertThat(attribution(m, "saliency", Map.of(), x, targets)).containsExactly(outside);
                assertThat(((ReweightedModel) m).switchedPasses()).isZero();
            } finally {
                System.clearProperty(RandomisableOnnxModel.SWITCHED);
            }
            Randomisable.Series a = r.series(3);
            Randomisable.Series b = r.series(3);
            a.close();
            a.close(); // a second close of one series must not close the other's switch
            try (Model m = r.randomised(all, 3)) {
                attribution(m, "saliency", Map.of(), x, targets);
                assertThat(((ReweightedModel) m).switchedPasses()).as("b still open").isPositive();
            }
            b.close();
            assertThat(LayerSwitch.openSessions()).isZero();
            r.close();
        }
    }

    @Test
    void aSeriesOutlivingClose_doesNotCloseALaterSeriesSwitch() {
        Tensor x = residualX();
        int[] targets = {0, 1, 2};
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d, d);
            List<String> all = r.layers();
            Randomisable.Series a = r.series(3);
            r.close(); // drops a's switch while a is still open
            Randomisable.Series b = r.series(3);
            a.close(); // must not count against b's switch
            a.close();
            try (Model m = r.randomised(all, 3)) {
                attribution(m, "saliency", Map.of(), x, targets);
                assertThat(((ReweightedModel) m).switchedPasses()).as("b's switch still open").isPositive();
            }
            b.close();
            assertThat(LayerSwitch.openSessions()).isZero();
            Randomisable.Series c = r.series(4); // a later series gets a switch of its own again
            try (Model m = r.randomised(all, 4)) {
                attribution(m, "saliency", Map.of(), x, targets);
                assertThat(((ReweightedModel) m).switchedPasses()).isPositive();
            }
            c.close();
            assertThat(LayerSwitch.openSessions()).isZero();
            r.close();
        }
    }

    /** The saliency backward graph of the residual CNN, and one draw per Conv/Gemm layer of the model (zeros). */
    private static ModelProto graph(OnnxModel onnx, OnnxDifferentiableModel d, List<Map<String, TensorProto>> draws)
            throws Exception {
        int[] shape = residualX().shape();
        ModelProto g = d.backwardGraph(BackwardRequest.gradientOfInput(), shape).model();
        Map<String, TensorProto> inits = new HashMap<>();
        g.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
        for (NodeProto n : ModelProto.parseFrom(onnx.modelBytes()).getGraph().getNodeList()) {
            if ((n.getOpType().equals("Conv") || n.getOpType().equals("Gemm")) && inits.containsKey(n.getInput(1))) {
                Map<String, TensorProto> layer = new LinkedHashMap<>();
                for (String w : n.getInputList().subList(1, n.getInputCount())) {
                    TensorProto t = inits.get(w);
                    if (t != null) {
                        int size = RandomisableOnnxModel.values(t).length;
                        layer.put(w, t.toBuilder().clearFloatData().clearRawData()
                                .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[4 * size])).build());
                    }
                }
                draws.add(layer);
            }
        }
        return g;
    }

    /**
     * The hoisting rewrite: one If per cut on its flag, nested (a higher cut's part holds the lower
     * cut's If), outputs under the boundary values' own names with known element types, which are
     * also graph outputs; nothing that depends on the seed inside; a cut whose boundary holds a
     * value of a type the cache cannot tell is left out.
     */
    @Test
    void hoist_wrapsThePartBelowEachCut_withTypedBoundaries_andLeavesOutWhatItCannotType() throws Exception {
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            List<Map<String, TensorProto>> draws = new ArrayList<>();
            ModelProto g = graph(onnx, d, draws);
            ModelProto sw = LayerSwitchGraph.build(g, draws).orElseThrow();
            int layers = draws.size();
            LayerSwitchGraph.Hoisted h = LayerSwitchGraph.hoist(sw, layers, List.of(2, 1), "explain4j_seed").orElseThrow();
            assertThat(h.levels()).extracting(LayerSwitchGraph.Level::cut).containsExactly(1, 2);
            GraphProto hg = h.model().getGraph();
            List<NodeProto> hoists = hg.getNodeList().stream().filter(n -> n.getName().startsWith("explain4j/hoist_")).toList();
            assertThat(hoists).as("the lower cut's If is inside the higher one's part").hasSize(1);
            NodeProto top = hoists.get(0);
            assertThat(top.getInput(0)).isEqualTo("explain4j_cached_2");
            assertThat(top.getOutputList()).containsExactlyElementsOf(h.levels().get(1).boundary().keySet());
            GraphProto compute = top.getAttributeList().stream().filter(a -> a.getName().equals("else_branch")).findFirst()
                    .orElseThrow().getG();
            assertThat(compute.getNodeList()).anyMatch(n -> n.getName().equals("explain4j/hoist_1"));
            java.util.Set<String> outputs = new java.util.HashSet<>();
            hg.getOutputList().forEach(v -> outputs.add(v.getName()));
            java.util.Set<String> inputs = new java.util.HashSet<>();
            hg.getInputList().forEach(v -> inputs.add(v.getName()));
            for (LayerSwitchGraph.Level level : h.levels()) {
                assertThat(level.boundary()).isNotEmpty();
                level.boundary().forEach((name, type) -> {
                    assertThat(type).as(name).isPositive();
                    assertThat(outputs).as("boundary value %s is a graph output", name).contains(name);
                    assertThat(inputs).contains("explain4j_cache_" + level.cut() + "/" + name);
                });
                assertThat(inputs).contains("explain4j_cached_" + level.cut());
            }
            // the ReLU masks the backward half reads are boundary values of type bool
            assertThat(h.levels().get(1).boundary().values()).contains(ai.onnx.proto.OnnxMl.TensorProto.DataType.BOOL_VALUE);
            // nothing inside reads the seed or a switch at or above the cut
            java.util.Set<String> read = new java.util.HashSet<>();
            collectReads(compute, read);
            assertThat(read).doesNotContain("explain4j_seed");
            for (int l = 2; l < layers; l++) {
                assertThat(read).doesNotContain(LayerSwitchGraph.switchName(l));
            }
            assertThat(read).contains(LayerSwitchGraph.switchName(0), LayerSwitchGraph.switchName(1));
            // a boundary value made by an op the type rules do not know: its cut is left out
            GraphProto.Builder odd = sw.getGraph().toBuilder();
            String x = sw.getGraph().getInput(0).getName();
            odd.addNode(NodeProto.newBuilder().setOpType("Odd").setDomain("org.example").setName("odd").addInput(x)
                    .addOutput("odd_out"));
            odd.addNode(NodeProto.newBuilder().setOpType("Add").setName("odd_use").addInput("odd_out").addInput("explain4j_seed")
                    .addOutput("odd_sum"));
            assertThat(LayerSwitchGraph.hoist(sw.toBuilder().setGraph(odd).build(), layers, List.of(1), "explain4j_seed"))
                    .isEmpty();
            // no cut inside the layers: nothing to hoist
            assertThat(LayerSwitchGraph.hoist(sw, layers, List.of(0, layers), "explain4j_seed")).isEmpty();
        }
    }

    private static void collectReads(GraphProto g, java.util.Set<String> out) {
        for (NodeProto n : g.getNodeList()) {
            out.addAll(n.getInputList());
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    collectReads(a.getG(), out);
                }
            }
        }
    }

    @Test
    void rewrite_switchesEveryWeightReader_andRefusesWhatItCannotSwitch() throws Exception {
        try (OnnxModel onnx = OnnxModel.load(RESIDUAL);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            List<Map<String, TensorProto>> draws = new ArrayList<>();
            ModelProto g = graph(onnx, d, draws);
            assertThat(draws).hasSizeGreaterThanOrEqualTo(2);
            ModelProto sw = LayerSwitchGraph.build(g, draws).orElseThrow();
            // every weight now lives only inside If branches, once per reader and branch
            java.util.Set<String> weights = new java.util.HashSet<>();
            draws.forEach(m -> weights.addAll(m.keySet()));
            for (TensorProto t : sw.getGraph().getInitializerList()) {
                assertThat(weights).doesNotContain(t.getName());
            }
            int ifs = 0;
            for (NodeProto n : sw.getGraph().getNodeList()) {
                if (n.getOpType().equals("If")) {
                    ifs++;
                    assertThat(n.getInput(0)).startsWith("explain4j_randomise_");
                }
                for (String in : n.getInputList()) {
                    assertThat(weights).doesNotContain(in);
                }
            }
            assertThat(ifs).as("forward and gradient readers of each layer").isGreaterThanOrEqualTo(2 * draws.size());
            assertThat(sw.getGraph().getInputList().stream().filter(v -> v.getName().startsWith("explain4j_randomise_")))
                    .hasSize(draws.size());

            // one weight in two layers' draws (tied weights): refused
            List<Map<String, TensorProto>> tied = new ArrayList<>(draws);
            tied.add(draws.get(0));
            assertThat(LayerSwitchGraph.build(g, tied)).isEmpty();
            // a draw of another shape: refused
            Map.Entry<String, TensorProto> w = draws.get(0).entrySet().iterator().next();
            List<Map<String, TensorProto>> shape = new ArrayList<>(draws);
            shape.set(0, Map.of(w.getKey(), w.getValue().toBuilder().addDims(1).build()));
            assertThat(LayerSwitchGraph.build(g, shape)).isEmpty();
            // a weight that is also a graph output: refused
            ModelProto out = g.toBuilder().setGraph(g.getGraph().toBuilder().addOutput(
                    g.getGraph().getOutput(0).toBuilder().setName(w.getKey()))).build();
            assertThat(LayerSwitchGraph.build(out, draws)).isEmpty();
            // a node with a subgraph (a weight read there would not be switched): refused
            GraphProto.Builder withIf = g.getGraph().toBuilder();
            withIf.addNode(NodeProto.newBuilder().setOpType("If").addInput("c").addOutput("o")
                    .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH)
                            .setG(GraphProto.getDefaultInstance())));
            assertThat(LayerSwitchGraph.build(g.toBuilder().setGraph(withIf).build(), draws)).isEmpty();
        }
    }
}
