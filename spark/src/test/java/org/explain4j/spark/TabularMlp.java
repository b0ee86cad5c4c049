package org.explain4j.spark;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A float32 tabular MLP as ONNX, {@code features -> hidden (ReLU) -> hidden (Tanh) -> classes},
 * with seeded random weights: the model of the Spark tests and benchmark (a real ONNX file run
 * by ONNX Runtime, not a stand-in).
 */
final class TabularMlp {
    private TabularMlp() {
    }

    static byte[] bytes(int features, int hidden, int classes, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        GraphProto.Builder g = GraphProto.newBuilder().setName("tabular_mlp");
        g.addInput(info("x", features));
        g.addOutput(info("logits", classes));
        g.addInitializer(init("w1", rnd, features, hidden));
        g.addInitializer(init("b1", rnd, hidden));
        g.addInitializer(init("w2", rnd, hidden, hidden));
        g.addInitializer(init("b2", rnd, hidden));
        g.addInitializer(init("w3", rnd, hidden, classes));
        g.addInitializer(init("b3", rnd, classes));
        g.addNode(node("Gemm", "gemm1", new String[] {"x", "w1", "b1"}, "h1"));
        g.addNode(node("Relu", "relu1", new String[] {"h1"}, "a1"));
        g.addNode(node("Gemm", "gemm2", new String[] {"a1", "w2", "b2"}, "h2"));
        g.addNode(node("Tanh", "tanh2", new String[] {"h2"}, "a2"));
        g.addNode(node("Gemm", "gemm3", new String[] {"a2", "w3", "b3"}, "logits"));
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("explain4j-spark-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build().toByteArray();
    }

    static Path write(Path file, int features, int hidden, int classes, long seed) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, bytes(features, hidden, classes, seed));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static NodeProto node(String op, String name, String[] in, String out) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(out);
        for (String i : in) {
            n.addInput(i);
        }
        if (op.equals("Gemm")) {
            n.addAttribute(AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(0));
        }
        return n.build();
    }

    private static ValueInfoProto info(String name, int width) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width)).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static TensorProto init(String name, SplittableRandom rnd, int... dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        double scale = 1.5 / Math.sqrt(dims[0]);
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) ((rnd.nextDouble() * 2 - 1) * scale));
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (int d : dims) {
            t.addDims(d);
        }
        return t.build();
    }
}
