package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.DOUBLE;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.OrtTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** LSTM, GRU and RNN unrolled into cell ops: the same outputs as ONNX Runtime's kernels, and exact gradients. */
class RecurrentUnrollingTest {
    static final int T = 4;
    static final int B = 3;
    static final int I = 2;
    static final int H = 3;

    /** One recurrent node configuration. */
    record Case(String name, String op, int type, String direction, int layout, boolean bias, boolean initial,
                long[] lengths, boolean peepholes, List<AttributeProto> attrs) {
        @Override
        public String toString() {
            return name;
        }

        int gates() {
            return op.equals("LSTM") ? 4 : op.equals("GRU") ? 3 : 1;
        }

        int dirs() {
            return direction.equals("bidirectional") ? 2 : 1;
        }

        int[] inputShape() {
            return layout == 1 ? new int[] {B, T, I} : new int[] {T, B, I};
        }
    }

    static AttributeProto strings(String name, String... values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.STRINGS);
        for (String v : values) {
            b.addStrings(ByteString.copyFrom(v, StandardCharsets.UTF_8));
        }
        return b.build();
    }

    static AttributeProto floats(String name, float... values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOATS);
        for (float v : values) {
            b.addFloats(v);
        }
        return b.build();
    }

    static Stream<Case> cases() {
        long[] ragged = {4, 2, 3};
        return Stream.of(
                new Case("lstm_forward_defaults", "LSTM", FLOAT, "forward", 0, false, false, null, false, List.of()),
                new Case("lstm_float64_reverse_initial_states", "LSTM", DOUBLE, "reverse", 0, true, true, null, false,
                        List.of()),
                new Case("lstm_bidirectional_peepholes", "LSTM", FLOAT, "bidirectional", 0, true, true, null, true,
                        List.of()),
                new Case("lstm_layout1_bidirectional_ragged", "LSTM", FLOAT, "bidirectional", 1, true, true, ragged,
                        true, List.of()),
                new Case("lstm_reverse_ragged", "LSTM", FLOAT, "reverse", 0, true, false, ragged, false, List.of()),
                new Case("lstm_bidirectional_empty_sequence", "LSTM", FLOAT, "bidirectional", 0, true, true,
                        new long[] {4, 0, 1}, false, List.of()),
                new Case("gru_empty_sequence", "GRU", FLOAT, "forward", 0, true, true, new long[] {0, 3, 4}, false,
                        List.of()),
                new Case("lstm_float64_clip_input_forget", "LSTM", DOUBLE, "forward", 0, true, true, null, true,
                        List.of(Attr.f("clip", 0.4f), Attr.i("input_forget", 1))),
                new Case("lstm_activations", "LSTM", FLOAT, "bidirectional", 0, true, false, null, false,
                        List.of(strings("activations", "HardSigmoid", "ScaledTanh", "Softsign",
                                        "Sigmoid", "Affine", "Tanh"),
                                floats("activation_alpha", 0.3f, 0.7f, 0.9f),
                                floats("activation_beta", 0.45f, 1.3f, 0.1f))),
                new Case("gru_forward_defaults", "GRU", FLOAT, "forward", 0, true, false, null, false, List.of()),
                new Case("gru_float64_bidirectional_linear_before_reset", "GRU", DOUBLE, "bidirectional", 0, true,
                        true, null, false, List.of(Attr.i("linear_before_reset", 1))),
                new Case("gru_layout1_reverse_ragged", "GRU", FLOAT, "reverse", 1, true, true, ragged, false,
                        List.of()),
                new Case("gru_activations_clip", "GRU", FLOAT, "forward", 0, true, true, null, false,
                        List.of(strings("activations", "Sigmoid", "Elu"), floats("activation_alpha", 0.8f),
                                Attr.f("clip", 0.5f), Attr.i("linear_before_reset", 1))),
                new Case("rnn_forward_defaults", "RNN", FLOAT, "forward", 0, false, false, null, false, List.of()),
                new Case("rnn_float64_bidirectional_ragged", "RNN", DOUBLE, "bidirectional", 0, true, true, ragged, false,
                        List.of(strings("activations", "Relu", "LeakyRelu"), floats("activation_alpha", 0.2f))),
                new Case("rnn_float64_layout1_activations", "RNN", DOUBLE, "bidirectional", 1, true, true, null, false,
                        List.of(strings("activations", "ThresholdedRelu", "Softplus"),
                                floats("activation_alpha", 0.1f))));
    }

    /** Random values in [lo, hi) that float32 holds exactly (so the float64 and float32 models agree). */
    static TestModels random(TestModels m, String name, int type, Random rnd, double lo, double hi, long... dims) {
        int n = 1;
        for (long k : dims) {
            n *= (int) k;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return m.init(name, type, dims, v);
    }

    /**
     * The model {@code (Y, Y_h[, Y_c]) = op(x)} with random weights; as {@code reference}, the
     * same in the form ONNX Runtime's kernels run: float32 and layout 0 (the layout-1 tensors
     * transposed around the node).
     */
    static ModelProto recurrentModel(Case c, boolean combined, boolean reference) {
        Random rnd = new Random(c.name().hashCode());
        int d = c.dirs();
        int g = c.gates();
        int type = reference ? FLOAT : c.type();
        boolean transposed = reference && c.layout() == 1;
        TestModels m = TestModels.opset(14).input("x", type, toLongs(c.inputShape()));
        random(m, "W", type, rnd, -0.8, 0.8, d, g * H, I);
        random(m, "R", type, rnd, -0.8, 0.8, d, g * H, H);
        List<String> in = new ArrayList<>(List.of("x", "W", "R", "", "", "", "", ""));
        TensorProto lens = null;
        if (c.bias()) {
            random(m, "Bias", type, rnd, -0.5, 0.5, d, 2L * g * H);
            in.set(3, "Bias");
        }
        if (c.lengths() != null) {
            TensorProto.Builder t = TensorProto.newBuilder().setName("lens").setDataType(TensorProto.DataType.INT32_VALUE)
                    .addDims(B);
            for (long l : c.lengths()) {
                t.addInt32Data((int) l);
            }
            lens = t.build();
            in.set(4, "lens");
        }
        long[] stateShape = c.layout() == 1 ? new long[] {B, d, H} : new long[] {d, B, H};
        if (c.initial()) {
            random(m, "h0", type, rnd, -0.5, 0.5, stateShape);
            in.set(5, "h0");
            if (g == 4) {
                random(m, "c0", type, rnd, -0.5, 0.5, stateShape);
                in.set(6, "c0");
            }
        }
        if (c.peepholes()) {
            random(m, "P", type, rnd, -0.5, 0.5, d, 3L * H);
            in.set(7, "P");
        }
        while (in.get(in.size() - 1).isEmpty()) {
            in.remove(in.size() - 1);
        }
        List<AttributeProto> attrs = new ArrayList<>(c.attrs());
        attrs.add(Attr.i("hidden_size", H));
        attrs.add(Attr.s("direction", c.direction()));
        if (c.layout() == 1 && !transposed) {
            attrs.add(Attr.i("layout", 1));
        }
        List<String> outs = g == 4 ? List.of("Y", "Y_h", "Y_c") : List.of("Y", "Y_h");
        if (transposed) {
            for (int k : new int[] {0, 5, 6}) {
                if (k < in.size() && !in.get(k).isEmpty()) {
                    m.node("Transpose", in.get(k), in.get(k) + "_t", Attr.ints("perm", 1, 0, 2));
                    in.set(k, in.get(k) + "_t");
                }
            }
            m.node(c.op(), in, outs.stream().map(o -> o + "_t").toList(), attrs.toArray(AttributeProto[]::new));
            for (String o : outs) {
                m.node("Transpose", o + "_t", o, o.equals("Y") ? Attr.ints("perm", 2, 0, 1, 3)
                        : Attr.ints("perm", 1, 0, 2));
            }
        } else {
            m.node(c.op(), in, outs, attrs.toArray(AttributeProto[]::new));
        }
        if (!combined) {
            outs.forEach(o -> m.output(o, type));
            return withInitializer(m.build(), lens);
        }
        // out [B, K]: every output, batch first
        List<String> parts = new ArrayList<>();
        for (String o : outs) {
            String bf = o + "_bf";
            long[] perm = o.equals("Y") ? (c.layout() == 1 ? new long[] {0, 1, 2, 3} : new long[] {2, 0, 1, 3})
                    : (c.layout() == 1 ? new long[] {0, 1, 2} : new long[] {1, 0, 2});
            m.node("Transpose", o, bf, Attr.ints("perm", perm));
            m.longs(o + "_shape", null, B, -1);
            m.node("Reshape", List.of(bf, o + "_shape"), List.of(o + "_flat"));
            parts.add(o + "_flat");
        }
        m.node("Concat", parts, List.of("out"), Attr.i("axis", 1));
        return withInitializer(m.output("out", type).build(), lens);
    }

    static ModelProto withInitializer(ModelProto model, TensorProto t) {
        if (t == null) {
            return model;
        }
        ModelProto.Builder b = model.toBuilder();
        b.getGraphBuilder().addInitializer(t);
        return b.build();
    }

    static long[] toLongs(int[] shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            s[i] = shape[i];
        }
        return s;
    }

    static Tensor input(Case c, long seed) {
        DType t = c.type() == DOUBLE ? DType.FLOAT64 : DType.FLOAT32;
        Tensor x = GradCheck.random(new Random(seed), DType.FLOAT32, -1.5, 1.5, c.inputShape());
        return t == DType.FLOAT32 ? x : Tensor.ofDoubles(x.toDoubleArray(), c.inputShape());
    }

    /** Every output of {@code model} on {@code x}, in output order. */
    static List<double[]> run(ModelProto model, Tensor x) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<double[]> out = new ArrayList<>();
        try (OrtSession s = env.createSession(model.toByteArray());
             OnnxTensor xi = OrtTensors.toOrt(env, x);
             OrtSession.Result r = s.run(Map.of("x", xi))) {
            for (int i = 0; i < model.getGraph().getOutputCount(); i++) {
                out.add(OrtTensors.fromOrt((OnnxTensor) r.get(i)).toDoubleArray());
            }
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static ModelProto lowered(ModelProto model, int[] shape) {
        return GraphLowering.lower(OrtEnvironment.getEnvironment(), model,
                BackwardSpec.inputGradient("x", model.getGraph().getOutput(0).getName(), shape)).model();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void unrolledNode_computesWhatOnnxRuntimeComputes(Case c) {
        ModelProto model = recurrentModel(c, false, false);
        ModelProto unrolled = lowered(model, c.inputShape());
        assertThat(unrolled.getGraph().getNodeList()).noneMatch(n -> n.getOpType().equals(c.op()));
        // ONNX Runtime runs these ops in float32 only: a float64 model is compared with float32 rounding
        double tol = c.type() == DOUBLE ? 3e-6 : 1e-6;
        ModelProto reference = recurrentModel(c, false, true);
        for (long seed = 1; seed <= 2; seed++) {
            Tensor x = input(c, seed);
            List<double[]> expected = run(reference, Tensor.ofDoublesAsFloats(x.toDoubleArray(), c.inputShape()));
            List<double[]> actual = run(unrolled, x);
            for (int i = 0; i < expected.size(); i++) {
                GradCheck.assertClose(c + " output " + model.getGraph().getOutput(i).getName(), actual.get(i),
                        expected.get(i), tol);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void unrolledNode_gradientMatchesFiniteDifferences(Case c) {
        ModelProto model = recurrentModel(c, true, false);
        Tensor x = input(c, 3);
        if (c.type() == DOUBLE) {
            // ONNX Runtime has no float64 kernels for these ops: differences of the unrolled model
            // (equal to its float32 kernels, above) in float64
            GradCheck.checkInputGradient(lowered(model, c.inputShape()), x, 1e-6, 1e-7);
        } else if (c.layout() == 1) {
            // nor layout-1 kernels: differences of the unrolled model, equal to them above
            GradCheck.checkInputGradient(lowered(model, c.inputShape()), x, 1e-2, 3e-3);
        } else {
            GradCheck.checkInputGradient(model, x, 1e-2, 3e-3);
        }
    }

    @Test
    void inputOfTheWrongShape_isReportedBeforeAnyProbeRun() {
        Case c = cases().findFirst().orElseThrow();
        ModelProto model = recurrentModel(c, false, false);
        assertThatThrownBy(() -> new BackwardGraphBuilder().build(model, BackwardSpec.inputGradient("x", "Y", T, B,
                I + 1)))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.SHAPE))
                .hasMessageContaining("dimension 2 of the model's input 'x' is " + I);
    }

    @Test
    void unrolledLstm_outputsDifferFromOnnxRuntimeWhenPeepholesAreDropped() {
        // guards the comparison above: a model that ignores its peepholes is told apart
        Case c = cases().filter(k -> k.name().equals("lstm_bidirectional_peepholes")).findFirst().orElseThrow();
        ModelProto model = recurrentModel(c, false, false);
        ModelProto unrolled = lowered(model, c.inputShape());
        ModelProto noPeep = recurrentModel(new Case(c.name(), c.op(), c.type(), c.direction(), c.layout(), c.bias(),
                c.initial(), c.lengths(), false, c.attrs()), false, false);
        Tensor x = input(c, 1);
        double[] withPeep = run(unrolled, x).get(0);
        double[] without = run(noPeep, x).get(0);
        double worst = 0;
        for (int i = 0; i < withPeep.length; i++) {
            worst = Math.max(worst, Math.abs(withPeep[i] - without[i]));
        }
        assertThat(worst).isGreaterThan(1e-3);
    }
}
