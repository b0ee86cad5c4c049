package org.explain4j.onnx.grad.propagation;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Builds tiny float32 (or float64) ONNX models for the tests and remembers their initializers' values. */
final class Net {
    static final int FLOAT = DataType.FLOAT_VALUE;

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    private final Map<String, double[]> values = new HashMap<>();
    private final int type;
    private int nodes;

    private Net(int type) {
        this.type = type;
    }

    /** A model with one float input {@code x} of the given shape (a negative dimension is symbolic). */
    static Net input(long... dims) {
        Net n = new Net(FLOAT);
        n.graph.addInput(info("x", FLOAT, dims));
        return n;
    }

    /** As {@link #input}, with float64 input, initializers and output. */
    static Net input64(long... dims) {
        Net n = new Net(DataType.DOUBLE_VALUE);
        n.graph.addInput(info("x", n.type, dims));
        return n;
    }

    /** A floating initializer of the model's type; its values are rounded to that type and remembered. */
    Net init(String name, long[] dims, double... v) {
        boolean single = type == FLOAT;
        double[] rounded = new double[v.length];
        ByteBuffer b = ByteBuffer.allocate((single ? 4 : 8) * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            rounded[i] = single ? (float) v[i] : v[i];
            if (single) {
                b.putFloat((float) v[i]);
            } else {
                b.putDouble(v[i]);
            }
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        values.put(name, rounded);
        return this;
    }

    /** An initializer of random values in [lo, hi). */
    Net random(String name, Random rnd, double lo, double hi, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return init(name, dims, v);
    }

    /** An int64 initializer. */
    Net longs(String name, long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(DataType.INT64_VALUE)
                .addDims(v.length).setRawData(ByteString.copyFrom(b.array())));
        return this;
    }

    /** A boolean scalar initializer. */
    Net bool(String name, boolean v) {
        graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(DataType.BOOL_VALUE)
                .setRawData(ByteString.copyFrom(new byte[] {(byte) (v ? 1 : 0)})));
        return this;
    }

    Net node(String op, List<String> in, String out, AttributeProto... attrs) {
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(op + "_" + nodes++).addAllInput(in)
                .addOutput(out).addAllAttribute(List.of(attrs)));
        return this;
    }

    Net node(String op, String in, String out, AttributeProto... attrs) {
        return node(op, List.of(in), out, attrs);
    }

    /** The values of an initializer, as float32 holds them. */
    double[] values(String name) {
        return values.get(name);
    }

    ModelProto build(String output) {
        return build(output, 13);
    }

    /** The model at the given default-domain opset. */
    ModelProto build(String output, int opset) {
        GraphProto.Builder g = graph.clone().addOutput(ValueInfoProto.newBuilder().setName(output)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type))));
        return ModelProto.newBuilder().setIrVersion(opset >= 19 ? 9 : 8).setProducerName("explain4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    }

    private static ValueInfoProto info(String name, int type, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
    }
}
