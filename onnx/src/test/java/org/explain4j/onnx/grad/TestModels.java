package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;
import java.util.Random;

/** Builds tiny ONNX models for the tests. */
final class TestModels {
    static final int FLOAT = DataType.FLOAT_VALUE;
    static final int DOUBLE = DataType.DOUBLE_VALUE;
    static final int INT64 = DataType.INT64_VALUE;

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    private final int opset;
    private int nodes;

    private TestModels(int opset) {
        this.opset = opset;
    }

    static TestModels opset(int opset) {
        return new TestModels(opset);
    }

    /** A graph input; a negative dimension is left symbolic. */
    TestModels input(String name, int type, long... dims) {
        graph.addInput(info(name, type, dims));
        return this;
    }

    TestModels output(String name, int type) {
        graph.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type))));
        return this;
    }

    TestModels init(String name, int type, long[] dims, double... values) {
        graph.addInitializer(TensorProtos.floats(name, type, dims, values));
        return this;
    }

    /** An initializer of random values in [lo, hi). */
    TestModels random(String name, int type, Random rnd, double lo, double hi, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return init(name, type, dims, v);
    }

    TestModels longs(String name, long[] dims, long... values) {
        graph.addInitializer(TensorProtos.longs(name, dims, values));
        return this;
    }

    TestModels node(String op, List<String> in, List<String> out, AttributeProto... attrs) {
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(op + "_" + nodes++).addAllInput(in)
                .addAllOutput(out).addAllAttribute(List.of(attrs)));
        return this;
    }

    TestModels node(String op, String in, String out, AttributeProto... attrs) {
        return node(op, List.of(in), List.of(out), attrs);
    }

    ModelProto build() {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("explain4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    static ValueInfoProto info(String name, int type, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }

    /** A model {@code y = op(x)} with one input x of the given shape. */
    static ModelProto unary(int opset, String op, int type, long[] shape, AttributeProto... attrs) {
        return opset(opset).input("x", type, shape).node(op, "x", "y", attrs).output("y", type).build();
    }
}
