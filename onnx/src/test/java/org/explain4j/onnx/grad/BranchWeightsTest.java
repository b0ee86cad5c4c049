package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A switched graph's branch weights written to a temporary file and referenced as ONNX external
 * data: what moves (branch initializers of at least 1 KiB, each distinct bytes once, at page-aligned
 * offsets) and what stays (top-level and small ones), the same outputs from ONNX Runtime to the bit,
 * the file removed on close without harming the session, and the cases left as they are.
 */
class BranchWeightsTest {
    private static final int N = 300; // 1200 bytes of float: above the 1 KiB threshold

    @TempDir
    Path dir;

    private static TensorProto floats(String name, float offset, int n) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(offset + 0.37f * i - 0.001f * i * i);
        }
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(n)
                .setRawData(ByteString.copyFrom(b.array())).build();
    }

    private static ValueInfoProto vector(String name, int elemType, int n) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        if (n > 0) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(n));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
    }

    private static NodeProto node(String op, String out, String... in) {
        return NodeProto.newBuilder().setOpType(op).setName(out).addOutput(out).addAllInput(List.of(in)).build();
    }

    /**
     * y = If(c, then: (x + w) * w2, else: (x + v) * w); the then-branch's w2 holds the same bytes as w
     * (the forward and gradient readers of one layer), the top level holds t (not a branch weight) and
     * each branch a small initializer that stays inside.
     */
    private static ModelProto model(TensorProto w, TensorProto v) {
        TensorProto w2 = w.toBuilder().setName("then/w_again").build();
        GraphProto then = GraphProto.newBuilder().setName("then")
                .addInitializer(w.toBuilder().setName("then/w")).addInitializer(w2)
                .addInitializer(floats("then/small", 1f, 4).toBuilder().clearDims().addDims(4))
                .addNode(node("Add", "then/s", "x", "then/w")).addNode(node("Mul", "then/y", "then/s", "then/w_again"))
                .addOutput(vector("then/y", TensorProto.DataType.FLOAT_VALUE, N)).build();
        GraphProto other = GraphProto.newBuilder().setName("else")
                .addInitializer(v.toBuilder().setName("else/v")).addInitializer(w.toBuilder().setName("else/w"))
                .addNode(node("Add", "else/s", "x", "else/v")).addNode(node("Mul", "else/y", "else/s", "else/w"))
                .addOutput(vector("else/y", TensorProto.DataType.FLOAT_VALUE, N)).build();
        NodeProto ifNode = NodeProto.newBuilder().setOpType("If").setName("switch").addInput("c").addOutput("z")
                .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH)
                        .setG(then))
                .addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH)
                        .setG(other)).build();
        GraphProto g = GraphProto.newBuilder().setName("g").addInitializer(floats("t", 3f, N))
                .addInput(vector("x", TensorProto.DataType.FLOAT_VALUE, N))
                .addInput(vector("c", TensorProto.DataType.BOOL_VALUE, 0))
                .addNode(ifNode).addNode(node("Add", "y", "z", "t"))
                .addOutput(vector("y", TensorProto.DataType.FLOAT_VALUE, N)).build();
        return ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(g).build();
    }

    private static float[] run(ModelProto m, boolean c) throws Exception {
        OrtEnvironment env = OnnxModel.environment();
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = 0.01f * i - 1f;
        }
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             OrtSession s = ExternalData.createSession(env, m, so);
             OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {N});
             OnnxTensor ct = OnnxTensor.createTensor(env, c);
             OrtSession.Result r = s.run(Map.of("x", xt, "c", ct))) {
            return (float[]) r.get(0).getValue();
        }
    }

    private static List<TensorProto> branchInitializers(ModelProto m) {
        List<TensorProto> out = new ArrayList<>();
        for (AttributeProto a : m.getGraph().getNode(0).getAttributeList()) {
            out.addAll(a.getG().getInitializerList());
        }
        return out;
    }

    private static String ext(TensorProto t, String key) {
        for (StringStringEntryProto e : t.getExternalDataList()) {
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    @Test
    void branchWeights_moveToOneFile_onceEach_andGiveTheSameOutputs() throws Exception {
        TensorProto w = floats("w", 0.5f, N);
        TensorProto v = floats("v", -2f, N);
        ModelProto m = model(w, v);
        Optional<BranchWeights> written = BranchWeights.write(m, dir);
        assertThat(written).isPresent();
        try (BranchWeights bw = written.get()) {
            ModelProto out = bw.model();
            assertThat(bw.file().getParent()).isEqualTo(dir);
            // w's bytes (in three branch initializers) and v's: two distinct weights, each on its own page
            assertThat(bw.bytes()).isEqualTo(2L * BranchWeights.ALIGN);
            assertThat(Files.size(bw.file())).isEqualTo(BranchWeights.ALIGN + 4L * N);
            java.util.Set<String> offsets = new java.util.HashSet<>();
            for (TensorProto t : branchInitializers(out)) {
                if (t.getName().endsWith("small")) {
                    assertThat(t.getDataLocation()).as("a small initializer stays inside").isEqualTo(
                            TensorProto.DataLocation.DEFAULT);
                    assertThat(t.getRawData().size()).isEqualTo(16);
                    continue;
                }
                assertThat(t.getDataLocation()).as(t.getName()).isEqualTo(TensorProto.DataLocation.EXTERNAL);
                assertThat(t.getRawData().isEmpty()).isTrue();
                assertThat(ext(t, "location")).isEqualTo(bw.file().getFileName().toString());
                assertThat(Long.parseLong(ext(t, "offset")) % BranchWeights.ALIGN).isZero();
                assertThat(ext(t, "length")).isEqualTo(Integer.toString(4 * N));
                offsets.add(t.getName().endsWith("v") ? "v@" + ext(t, "offset") : "w@" + ext(t, "offset"));
            }
            assertThat(offsets).as("every reader of w's bytes points at one place").hasSize(2);
            assertThat(out.getGraph().getInitializer(0).getRawData()).as("the top level keeps its weights")
                    .isEqualTo(m.getGraph().getInitializer(0).getRawData());
            assertThat(ExternalData.folder(out)).contains(dir.toAbsolutePath().toString());
            for (boolean c : new boolean[] {true, false}) {
                assertThat(run(out, c)).as("branch %s from the file", c).containsExactly(run(m, c));
            }
            // a session made before the file goes keeps what it read
            OrtEnvironment env = OnnxModel.environment();
            try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                 OrtSession s = ExternalData.createSession(env, out, so)) {
                bw.close();
                assertThat(Files.exists(bw.file())).isFalse();
                float[] x = new float[N];
                try (OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {N});
                     OnnxTensor ct = OnnxTensor.createTensor(env, true);
                     OrtSession.Result r = s.run(Map.of("x", xt, "c", ct))) {
                    float[] y = (float[]) r.get(0).getValue();
                    ByteBuffer wb = w.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                    ByteBuffer tb = m.getGraph().getInitializer(0).getRawData().asReadOnlyByteBuffer()
                            .order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < N; i++) {
                        float wi = wb.getFloat(4 * i);
                        assertThat(y[i]).isEqualTo(wi * wi + tb.getFloat(4 * i));
                    }
                }
            }
        }
    }

    @Test
    void writing_sweepsFilesAKilledProcessLeft_andKeepsRecentAndOtherFiles() throws Exception {
        Path stale = Files.writeString(dir.resolve(BranchWeights.PREFIX + "old" + BranchWeights.SUFFIX), "x");
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() - 2 * BranchWeights.STALE_MILLIS));
        Path recent = Files.writeString(dir.resolve(BranchWeights.PREFIX + "running" + BranchWeights.SUFFIX), "x");
        Path other = Files.writeString(dir.resolve("someone-else.weights"), "x");
        Files.setLastModifiedTime(other, java.nio.file.attribute.FileTime.fromMillis(0));
        try (BranchWeights bw = BranchWeights.write(model(floats("w", 0.5f, N), floats("v", -2f, N)), dir).orElseThrow()) {
            assertThat(Files.exists(stale)).as("older than an hour: a killed process's").isFalse();
            assertThat(Files.exists(recent)).as("another process may be making its session").isTrue();
            assertThat(Files.exists(other)).as("not ours").isTrue();
            assertThat(Files.exists(bw.file())).isTrue();
        }
    }

    @Test
    void modelsWithoutBranchWeights_orAlreadyOutside_orAnUnwritableFolder_stayAsTheyAre() throws Exception {
        TensorProto w = floats("w", 0.5f, N);
        ModelProto m = model(w, floats("v", -2f, N));
        // no subgraph: nothing to move
        ModelProto flat = m.toBuilder().setGraph(m.getGraph().toBuilder().clearNode()).build();
        assertThat(BranchWeights.write(flat, dir)).isEmpty();
        // a tensor already outside the model: its folder is the model's own, left alone
        ModelProto outside = m.toBuilder().setGraph(m.getGraph().toBuilder().setInitializer(0, m.getGraph()
                .getInitializer(0).toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("t.bin")))).build();
        assertThat(BranchWeights.write(outside, dir)).isEmpty();
        // a folder that cannot be made (a file is in its place): empty, and nothing left behind
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        assertThat(BranchWeights.write(m, file.resolve("sub"))).isEmpty();
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("not-a-folder");
        }
    }
}
