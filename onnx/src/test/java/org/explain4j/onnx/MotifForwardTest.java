package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architectural motif (fixtures/make_motifs.py) runs in ONNX Runtime and gives PyTorch's
 * output to 1e-4 of the output's largest magnitude. Single-input motifs go through
 * {@link OnnxModel}; multi-input ones through ONNX Runtime's session directly (OnnxModel
 * explains single-input models only for now).
 */
class MotifForwardTest {
    static final double TOLERANCE = 1e-4;

    static Stream<Motifs.Motif> motifs() {
        return Motifs.all().stream();
    }

    @Test
    void manifest_listsEveryMotifOfTheIssueWithItsFiles() {
        List<String> names = Motifs.all().stream().map(Motifs.Motif::name).toList();
        assertThat(names).containsExactly("mobilenetv3_block", "convnext_block", "vit_block", "bert_layer", "masked_attention", "lstm_text",
                "gru_text", "bilstm_text", "unet_decoder", "densenet_block", "mobilenetv2_block", "elu_selu_mlp", "layernorm_fused",
                "layernorm_written");
        for (Motifs.Motif m : Motifs.all()) {
            assertThat(m.model()).as(m.name()).exists();
            assertThat(m.expected()).as(m.name()).exists();
            m.inputs().values().forEach(p -> assertThat(p).as(m.name()).exists());
            assertThat(m.token() ? m.embGrad() : m.grad()).as(m.name() + " gradient file").isPresent();
            assertThat((m.token() ? m.embGrad() : m.grad()).orElseThrow()).exists();
        }
        Motifs.Motif bert = Motifs.all().get(3);
        assertThat(bert.inputs().keySet()).containsExactly("input_ids", "attention_mask", "token_type_ids");
        assertThat(bert.embedding()).contains("/word/Gather_output_0");
    }

    @Test
    void manifest_opsNameTheMotifsDefiningOperators() {
        Map<String, List<String>> ops = new LinkedHashMap<>();
        Motifs.all().forEach(m -> ops.put(m.name(), m.ops()));
        assertThat(ops.get("mobilenetv3_block")).contains("HardSwish", "HardSigmoid", "GlobalAveragePool", "Mul");
        assertThat(ops.get("convnext_block")).contains("LayerNormalization", "Erf", "Transpose");
        assertThat(ops.get("vit_block")).contains("Softmax", "LayerNormalization", "MatMul", "Erf");
        assertThat(ops.get("bert_layer")).contains("Gather", "Softmax", "LayerNormalization", "Tanh");
        assertThat(ops.get("masked_attention")).contains("Gather", "Softmax", "Sub", "Mul", "LayerNormalization");
        assertThat(ops.get("lstm_text")).contains("LSTM");
        assertThat(ops.get("gru_text")).contains("GRU");
        assertThat(ops.get("bilstm_text")).contains("LSTM");
        assertThat(ops.get("unet_decoder")).contains("Resize", "Concat");
        assertThat(ops.get("densenet_block")).contains("BatchNormalization", "Concat", "AveragePool");
        assertThat(ops.get("mobilenetv2_block")).contains("Clip");
        assertThat(ops.get("elu_selu_mlp")).contains("Elu", "Selu");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("motifs")
    void motif_onnxRuntimeOutputMatchesPyTorch(Motifs.Motif motif) throws OrtException {
        Tensor expected = Npy.read(motif.expected());
        Tensor got = motif.inputs().size() == 1 ? viaOnnxModel(motif) : viaSession(motif);
        assertThat(got.shape()).as(motif.name()).containsExactly(expected.shape());
        assertThat(relativeError(got, expected)).as("%s: max |ort - torch| / max |torch|", motif.name())
                .isLessThan(TOLERANCE);
    }

    @Test
    void bertLayer_attentionMaskMatters_paddingChangesNothingWhenMasked() throws OrtException {
        Motifs.Motif bert = Motifs.all().stream().filter(m -> m.name().equals("bert_layer")).findFirst().orElseThrow();
        Map<String, Tensor> in = bert.readInputs();
        Tensor base = run(bert, in);
        // row 2 has 3 real tokens and padding after; change a padded id: the masked output stays
        long[] ids = in.get("input_ids").toLongArray();
        int t = in.get("input_ids").dim(1);
        assertThat(in.get("attention_mask").getLong(2 * t + 6)).isZero();
        ids[2 * t + 6] = 17;
        Map<String, Tensor> changed = new LinkedHashMap<>(in);
        changed.put("input_ids", Tensor.ofLongs(ids, in.get("input_ids").shape()));
        Tensor masked = run(bert, changed);
        for (int c = 0; c < 3; c++) {
            assertThat(masked.getDouble(2 * 3 + c)).isCloseTo(base.getDouble(2 * 3 + c),
                    org.assertj.core.api.Assertions.within(1e-5));
        }
        // unmasking that position changes the output
        long[] mask = in.get("attention_mask").toLongArray();
        mask[2 * t + 6] = 1;
        changed.put("attention_mask", Tensor.ofLongs(mask, in.get("attention_mask").shape()));
        Tensor unmasked = run(bert, changed);
        assertThat(Math.abs(unmasked.getDouble(2 * 3) - base.getDouble(2 * 3))).isGreaterThan(1e-4);
    }

    private static Tensor viaOnnxModel(Motifs.Motif motif) {
        try (OnnxModel m = OnnxModel.load(motif.model())) {
            Tensor x = Npy.read(motif.inputs().values().iterator().next());
            Tensor y = m.forward(x);
            return y.reshape(Npy.read(motif.expected()).shape());
        }
    }

    private static Tensor viaSession(Motifs.Motif motif) throws OrtException {
        return run(motif, motif.readInputs());
    }

    static Tensor run(Motifs.Motif motif, Map<String, Tensor> inputs) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(motif.model().toString(), new OrtSession.SessionOptions())) {
            Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
            try {
                for (var e : inputs.entrySet()) {
                    feeds.put(e.getKey(), OrtTensors.toOrt(env, e.getValue()));
                }
                try (OrtSession.Result r = s.run(feeds)) {
                    return OrtTensors.fromOrt((OnnxTensor) r.get(0));
                }
            } finally {
                feeds.values().forEach(OnnxTensor::close);
            }
        }
    }

    static double relativeError(Tensor got, Tensor ref) {
        double err = 0;
        double scale = 0;
        for (int i = 0; i < ref.size(); i++) {
            err = Math.max(err, Math.abs(got.getDouble(i) - ref.getDouble(i)));
            scale = Math.max(scale, Math.abs(ref.getDouble(i)));
        }
        return err / scale;
    }
}
