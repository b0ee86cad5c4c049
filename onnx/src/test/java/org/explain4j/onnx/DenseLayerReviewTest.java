package org.explain4j.onnx;

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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.DenseInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dense first layer's input buffers belong to the layer (dropped on close, reused across
 * threads); a model with a Constant stored as external data offers no layer (found before any
 * session is made); and a cut model ONNX Runtime refuses, found when a method takes the layer and
 * its session is made, makes the method run whole forward passes.
 */
class DenseLayerReviewTest {
    @TempDir
    Path tmp;

    @Test
    void inputBuffers_areThePoolsOfTheLayer_reusedAcrossThreads_andDroppedOnClose() throws Exception {
        OnnxModel m = OnnxModel.load(Path.of("..", "fixtures/models/tabular50_mlp.onnx"));
        DenseInput.Layer layer = m.denseInput();
        assertThat(layer).isNotNull();
        DenseLayer dense = m.denseLayer();
        double[] h = new double[4 * layer.width()];
        Tensor first = layer.forwardFromLayer(h, 4);
        assertThat(dense.pooledBuffers()).isEqualTo(1);
        Tensor[] other = new Tensor[1];
        Thread t = new Thread(() -> other[0] = layer.forwardFromLayer(h, 3));
        t.start();
        t.join();
        assertThat(dense.pooledBuffers()).as("another thread took the same buffer back to the pool").isEqualTo(1);
        assertThat(other[0].dim(0)).isEqualTo(3);
        assertThat(other[0].getDouble(0)).isEqualTo(first.getDouble(0));
        m.close();
        assertThat(dense.pooledBuffers()).as("nothing outlives close").isZero();
    }

    private static ValueInfoProto value(String name, String batch, long width) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(
                        TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(batch))
                                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))))).build();
    }

    @Test
    void aConstantWithExternalData_offersNoLayer() throws Exception {
        // y = x W + k, k a Constant whose data lies in k.bin next to the model: the whole model finds
        // it, a cut model (loaded from bytes) would not, so none is offered
        float[] w = {1, 2, 3, 4, 5, 6, 7, 8};
        ByteBuffer wb = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : w) {
            wb.putFloat(v);
        }
        ByteBuffer kb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0.5f).putFloat(-1f);
        Files.write(tmp.resolve("k.bin"), kb.array());
        TensorProto k = TensorProto.newBuilder().setName("k").setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(2)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("k.bin"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("8")).build();
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("x", "N", 4)).addOutput(value("y", "N", 2))
                .addInitializer(TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE)
                        .addDims(4).addDims(2).setRawData(com.google.protobuf.ByteString.copyFrom(wb.array())))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("x").addInput("W").addOutput("h"))
                .addNode(NodeProto.newBuilder().setOpType("Constant").addOutput("kc").addAttribute(
                        ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("value")
                                .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.TENSOR).setT(k)))
                .addNode(NodeProto.newBuilder().setOpType("Add").addInput("h").addInput("kc").addOutput("y"))
                .build();
        Path model = tmp.resolve("const_external.onnx");
        Files.write(model, ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build().toByteArray());
        try (OnnxModel m = OnnxModel.load(model)) {
            Tensor y = m.forward(Tensor.ofFloats(new float[] {1, 0, 0, 1}, 1, 4));
            assertThat(y.getDouble(0)).as("the whole model reads k.bin").isEqualTo(1 + 7 + 0.5);
            assertThat(m.denseInput()).as("the cut model could not read k.bin: no layer").isNull();
            assertThat(m.denseLayer()).isNull();
        }
    }

    /**
     * A model of opset 5 (y = x W, one MatMul): ONNX Runtime runs it, but the cut model's Cast is written with
     * the integer {@code to} of opset 6 and later, which opset 5's Cast does not accept, so ONNX Runtime
     * refuses the cut model when the method takes the layer: the method runs whole forward passes (the
     * same bits as with incremental off), and the layer is not offered again.
     */
    @Test
    void aCutModelOnnxRuntimeRefuses_whenTaken_fallsBackToWholePasses() throws Exception {
        int d = 8;
        int width = 40;
        ByteBuffer wb = ByteBuffer.allocate(4 * d * width).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < d * width; i++) {
            wb.putFloat((float) Math.sin(0.7 * i));
        }
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("x", "N", d)).addOutput(value("y", "N", width))
                .addInitializer(TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE)
                        .addDims(d).addDims(width).setRawData(com.google.protobuf.ByteString.copyFrom(wb.array())))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("x").addInput("W").addOutput("y"))
                .build();
        Path model = tmp.resolve("opset5.onnx");
        Files.write(model, ModelProto.newBuilder().setIrVersion(3)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(5)).setGraph(g).build().toByteArray());
        float[] xs = new float[3 * d];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) Math.cos(1.1 * i);
        }
        Tensor x = Tensor.ofFloats(xs, 3, d);
        org.explain4j.core.Target t = org.explain4j.core.Target.of(0, 5, 39);
        try (OnnxModel m = OnnxModel.load(model)) {
            assertThat(m.forward(x).dim(1)).as("ONNX Runtime runs the opset 5 model").isEqualTo(width);
            DenseInput.Layer layer = m.denseInput();
            assertThat(layer).as("the layer is described").isNotNull();
            assertThat(m.denseLayer().sessionMade()).isFalse();
            float[] whole = new org.explain4j.core.method.FeatureAblation(m, org.explain4j.core.method.FeatureAblation
                    .Options.defaults().withIncremental(false)).attribute(x, t).values().toFloatArray();
            // 1 of 8 elements changed a row on a model that is only the layer: the dense path pays
            float[] inc = new org.explain4j.core.method.FeatureAblation(m, org.explain4j.core.method.FeatureAblation
                    .Options.defaults().withIncremental(true)).attribute(x, t).values().toFloatArray();
            assertThat(m.denseLayer().refused()).as("the cut model was tried and refused").isTrue();
            assertThat(m.denseLayer().rows.get()).isZero();
            assertThat(inc).as("whole passes: the bits of incremental off").isEqualTo(whole);
            assertThat(m.denseInput()).as("not offered again").isNull();
        }
    }
}
