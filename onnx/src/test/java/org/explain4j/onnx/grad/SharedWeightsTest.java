package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;

/** Sessions made with the shared weights compute what sessions of the whole model compute. */
class SharedWeightsTest {
    private final OrtEnvironment env = OnnxModel.environment();
    private final Random rnd = new Random(7);

    private ModelProto model() {
        // W: 64 x 64 float32 = 16 KiB (shared); b: 64 floats = 256 bytes (stays in the model)
        return TestModels.opset(13).input("x", FLOAT, -1, 64).random("W", FLOAT, rnd, -1, 1, 64, 64)
                .random("b", FLOAT, rnd, -1, 1, 64).node("MatMul", List.of("x", "W"), List.of("a"))
                .node("Add", List.of("a", "b"), List.of("y")).output("y", FLOAT).build();
    }

    private float[] run(OrtSession s, float[] x) throws Exception {
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {2, 64});
             OrtSession.Result r = s.run(Map.of("x", t))) {
            float[][] y = (float[][]) r.get(0).getValue();
            float[] out = new float[128];
            System.arraycopy(y[0], 0, out, 0, 64);
            System.arraycopy(y[1], 0, out, 64, 64);
            return out;
        }
    }

    private float[] plain(ModelProto p, float[] x) throws Exception {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             OrtSession s = env.createSession(p.toByteArray(), so)) {
            return run(s, x);
        }
    }

    private float[] shared(SharedWeights w, ModelProto p, float[] x) throws Exception {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             OrtSession s = w.createSession(env, p, so)) {
            return run(s, x);
        }
    }

    @Test
    void sharedWeights_giveTheSameOutputs_andAWeightWithOtherBytesKeepsItsOwn() throws Exception {
        ModelProto p = model();
        float[] x = new float[128];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        try (SharedWeights w = new SharedWeights(env, p)) {
            assertThat(w.size()).as("initializers of at least 1 KiB: W only").isEqualTo(1);
            assertThat(shared(w, p, x)).as("the model with W shared").containsExactly(plain(p, x));
            assertThat(w.sharedIn(p)).isEqualTo(1);
            // a copy parsed anew (a backward graph read back from the disk cache) holds equal bytes: shared too
            ModelProto reparsed = ModelProto.parseFrom(p.toByteArray());
            assertThat(reparsed.getGraph().getInitializer(0).getRawData()).isNotSameAs(p.getGraph().getInitializer(0).getRawData());
            assertThat(w.sharedIn(reparsed)).isEqualTo(1);
            assertThat(shared(w, reparsed, x)).as("the reparsed model with W shared").containsExactly(plain(p, x));
            // a derived model whose W was rewritten under the same name (as a canonizer does): its own bytes count
            GraphProto.Builder g = p.getGraph().toBuilder();
            TensorProto old = g.getInitializer(0);
            assertThat(old.getName()).isEqualTo("W");
            double[] doubled = new double[64 * 64];
            FloatBuffer f = old.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int i = 0; i < doubled.length; i++) {
                doubled[i] = 2 * f.get(i);
            }
            g.setInitializer(0, TensorProtos.floats("W", FLOAT, new long[] {64, 64}, doubled));
            ModelProto rewritten = p.toBuilder().setGraph(g).build();
            float[] expected = plain(rewritten, x);
            assertThat(expected).as("the rewritten model computes something else").isNotEqualTo(plain(p, x));
            assertThat(shared(w, rewritten, x)).as("the rewritten model through the shared weights").containsExactly(expected);
            assertThat(w.sharedIn(rewritten)).as("the rewritten W is not shared").isZero();
        }
    }

    @Test
    void closedWeights_stayUntilTheLastLeaseIsReleased() throws Exception {
        ModelProto p = model();
        float[] x = new float[128];
        SharedWeights w = new SharedWeights(env, p);
        SharedWeights.Lease lease = w.lease();
        w.close();
        // still usable under the lease
        assertThat(shared(w, p, x)).containsExactly(plain(p, x));
        lease.close();
        lease.close(); // a second release counts once
        assertThatThrownBy(w::lease).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
