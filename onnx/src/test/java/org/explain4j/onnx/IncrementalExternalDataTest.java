package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.method.Occlusion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental occlusion on a model whose bias is a {@code Constant} with its data in a file beside
 * the model: ONNX Runtime finds that file for the model itself (loaded by path), not for the
 * cropped graphs incremental inference makes from bytes. {@code OnnxModel} screens such a model
 * before any cropped graph is made (whole forward passes, as the dense path does); behind that
 * screen, {@link IncrementalInference} itself answers a cropped graph ONNX Runtime refuses with
 * whole passes, and remembers the refusal. A failure of the unperturbed example's run is reported,
 * not answered with whole passes.
 */
class IncrementalExternalDataTest {
    @TempDir
    Path tmp;

    @Test
    void aConstantWithExternalData_isScreenedBeforeAnyCroppedGraph_wholePassesWithTheSameResult() throws Exception {
        Path file = tmp.resolve("external_bias_cnn.onnx");
        Files.write(file, model(true).toByteArray());
        Random rnd = new Random(6);
        double[] xv = new double[2 * 36];
        for (int i = 0; i < xv.length; i++) {
            xv[i] = rnd.nextGaussian();
        }
        Tensor x = Tensor.ofDoublesAsFloats(xv, 2, 1, 6, 6);
        Occlusion.Options o = new Occlusion.Options(new int[] {1, 2, 2}, new int[] {1, 1, 1}, Baseline.zeros(), 5);
        try (OnnxModel model = OnnxModel.load(file)) {
            Attribution whole = new Occlusion(model, o.withIncremental(false)).attribute(x, Target.classIndex(7));
            model.forceIncrementalCut(0); // a cut right after the first Conv, were the cropped graph usable
            Attribution asked = new Occlusion(model, o).attribute(x, Target.classIndex(7));
            assertThat(asked.values().toDoubleArray()).as("incremental asked for: whole passes, the same values")
                    .containsExactly(whole.values().toDoubleArray());
            assertThat(model.incremental()).as("screened by the external-data check: no incremental state at all")
                    .isNull();
            // the values depend on the external bias: it was read (0.75 and -0.5 on the two channels)
            assertThat(java.util.Arrays.stream(whole.values().toDoubleArray()).anyMatch(v -> Math.abs(v) > 1e-4)).isTrue();
            Tensor y = model.forward(x.slice(0, 1));
            assertThat(y.dim(1)).isEqualTo(72);
        }
    }

    /**
     * A two-Conv net on a 1x6x6 input (72 outputs) whose bias ({@code 0.75, -0.5}) is a {@code Constant}
     * stored in {@code bias.bin} beside the model ({@code external}) or inline.
     */
    private ModelProto model(boolean external) throws Exception {
        Random rnd = new Random(5);
        ByteBuffer kb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0.75f).putFloat(-0.5f);
        Files.write(tmp.resolve("bias.bin"), kb.array());
        TensorProto.Builder kt = TensorProto.newBuilder().setName("k").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(1).addDims(2).addDims(1).addDims(1);
        TensorProto k = external ? kt.setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("bias.bin"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("8")).build()
                : kt.addFloatData(0.75f).addFloatData(-0.5f).build();
        AttributeProto pads = AttributeProto.newBuilder().setName("pads").setType(AttributeProto.AttributeType.INTS)
                .addInts(1).addInts(1).addInts(1).addInts(1).build();
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInitializer(floats("w1", rnd, 2, 1, 3, 3)).addInitializer(floats("w2", rnd, 2, 2, 3, 3))
                .addNode(NodeProto.newBuilder().setOpType("Conv").setName("conv1").addInput("input").addInput("w1")
                        .addOutput("c1").addAttribute(pads))
                .addNode(NodeProto.newBuilder().setOpType("Constant").setName("bias").addOutput("kc").addAttribute(
                        AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(k)))
                .addNode(NodeProto.newBuilder().setOpType("Add").setName("add").addInput("c1").addInput("kc").addOutput("a1"))
                .addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu").addInput("a1").addOutput("r1"))
                .addNode(NodeProto.newBuilder().setOpType("Conv").setName("conv2").addInput("r1").addInput("w2")
                        .addOutput("c2").addAttribute(pads))
                .addNode(NodeProto.newBuilder().setOpType("Flatten").setName("flat").addInput("c2").addOutput("out"))
                .addInput(value("input", -1, 1, 6, 6)).addOutput(value("out", -1, 72))
                .build();
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build();

    }

    @Test
    void behindTheScreen_aRefusedCroppedGraph_answersWholePasses_andIsNotCompiledAgain() throws Exception {
        // the external-data model given straight to incremental inference (as parsed from bytes, the
        // data file is not found): ONNX Runtime refuses the cropped graph
        try (IncrementalInference inc = new IncrementalInference(model(true), "input", "out",
                ai.onnxruntime.OrtEnvironment.getEnvironment(), OnnxModel.Options.defaults(), 0)) {
            int[][] lo = {{1, 1}, {2, 3}};
            int[][] hi = {{3, 3}, {4, 5}};
            assertThat(inc.local(new double[36], new int[] {1, 6, 6}, lo, hi, 8)).as("whole passes").isNull();
            assertThat(inc.compiles).as("the cropped graph was compiled (and refused)").isEqualTo(1);
            assertThat(inc.local(new double[36], new int[] {1, 6, 6}, lo, hi, 8)).isNull();
            assertThat(inc.compiles).as("the refusal is remembered").isEqualTo(1);
            assertThat(inc.openSessions()).isZero();
        }
    }

    @Test
    void aFailingRunOfTheUnperturbedExample_isReported_notAnsweredWithWholePasses() throws Exception {
        try (IncrementalInference inc = new IncrementalInference(model(false), "input", "out",
                ai.onnxruntime.OrtEnvironment.getEnvironment(), OnnxModel.Options.defaults(), 0)) {
            int[][] lo = {{1, 1}};
            int[][] hi = {{3, 3}};
            // the cropped graph loads (inline bias): a usable plan
            assertThat(inc.local(new double[36], new int[] {1, 6, 6}, lo, hi, 8)).isNotNull();
            // a base row of 35 values for a 1x6x6 example: the activation run fails
            assertThatThrownBy(() -> inc.local(new double[35], new int[] {1, 6, 6}, lo, hi, 8))
                    .isInstanceOfSatisfying(org.explain4j.core.Explain4jException.class,
                            e -> assertThat(e.getMessage()).contains("keeping activations for incremental inference"));
            assertThat(inc.compiles).as("one cropped graph for the one box size").isEqualTo(1);
        }
    }

    private static TensorProto floats(String name, Random rnd, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
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

    private static ValueInfoProto value(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }
}
