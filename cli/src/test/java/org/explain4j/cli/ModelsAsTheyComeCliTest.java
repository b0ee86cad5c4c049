package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model as it comes: weights in an external data file, run by the command line from another
 * working directory in a separate JVM, with an unused initializer that makes ONNX Runtime warn.
 */
class ModelsAsTheyComeCliTest {
    @TempDir
    Path tmp;

    static final float[] W = {0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 1f, 1f};

    /** {@code y = x W} with W (4, 2) in {@code weights.bin} and an unused initializer; writes it to {@code dir}. */
    static Path externalModel(Path dir) throws IOException {
        Files.createDirectories(dir);
        ByteBuffer b = ByteBuffer.allocate(4 * W.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : W) {
            b.putFloat(f);
        }
        Files.write(dir.resolve("weights.bin"), b.array());
        TensorProto w = TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(4).addDims(2).setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("32"))
                .build();
        TensorProto unused = TensorProto.newBuilder().setName("unused").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(1).addFloatData(1f).build();
        GraphProto g = GraphProto.newBuilder().setName("ext")
                .addInput(info("x", 4)).addInitializer(w).addInitializer(unused)
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm").addInput("x").addInput("W").addOutput("y"))
                .addOutput(info("y", 2)).build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("explain4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
        Path file = dir.resolve("model.onnx");
        Files.write(file, m.toByteArray());
        return file;
    }

    private static ValueInfoProto info(String name, long dim) {
        TensorShapeProto s = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(dim)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s)))
                .build();
    }

    @Test
    void externalDataModel_runsFromAnotherWorkingDirectoryWithoutOnnxRuntimeLogLines() throws Exception {
        Path model = externalModel(tmp.resolve("models"));
        Path x = tmp.resolve("x.npy");
        Npy.write(Tensor.ofFloats(new float[] {1, 2, 3, 4, -1, 0.5f, 2, -2}, 2, 4), x);
        Path out = tmp.resolve("ig.npy");
        Path cwd = Files.createDirectories(tmp.resolve("somewhere-else"));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(java, "-Dexplain4j.cache=off", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "attribute", "--quiet", "--model", model.toString(), "--input", x.toString(),
                "--method", "integrated-gradients", "--target", "1", "--output", out.toString()))
                .directory(cwd.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(err).as("ONNX Runtime's own log lines").doesNotContain("onnxruntime").doesNotContain("\u001b[");
        // linear: IG is x * W[:, 1]
        float[] v = Npy.read(out).toFloatArray();
        float[] xs = Npy.read(x).toFloatArray();
        for (int i = 0; i < 8; i++) {
            assertThat(v[i]).isCloseTo(xs[i] * W[(i % 4) * 2 + 1], org.assertj.core.api.Assertions.within(1e-5f));
        }
        assertThat(Files.list(model.getParent()).count()).as("nothing written beside the model").isEqualTo(2);
        // a failing run: ONNX Runtime's error line does not precede explain4j's own one-line message
        Path wide = tmp.resolve("wide.npy");
        Npy.write(Tensor.ofFloats(new float[10], 2, 5), wide);
        Process bad = new ProcessBuilder(List.of(java, "-Dexplain4j.cache=off", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "attribute", "--quiet", "--model", model.toString(), "--input", wide.toString(),
                "--method", "saliency", "--output", out.toString()))
                .directory(cwd.toFile()).start();
        assertThat(bad.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String badErr = new String(bad.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bad.exitValue()).as(badErr).isNotZero();
        assertThat(badErr.strip().lines().toList()).as(badErr).hasSize(1);
        assertThat(badErr).startsWith("explain4j: error: ").doesNotContain("\u001b[");
    }
}
