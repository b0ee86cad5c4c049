package org.explain4j.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.Set;

/**
 * Makes a single-input model of a multi-input one by computing the other inputs inside the
 * graph (a test-side stand-in until OnnxModel feeds extra inputs itself): a graph input becomes
 * the output of nodes added at the front of the graph. The model file is never changed.
 */
final class InputBinding {
    private InputBinding() {
    }

    /**
     * MiniLM/BERT: {@code attention_mask} = ones and {@code token_type_ids} = zeros of
     * {@code input_ids}'s shape, so the model reads token ids only.
     */
    static byte[] bertIdsOnly(byte[] model) {
        ModelProto m = parse(model);
        GraphProto.Builder g = m.getGraph().toBuilder();
        List<NodeProto> front = List.of(
                node("Shape", List.of("input_ids"), "explain4j_bind/ids_shape"),
                constantOfShape("explain4j_bind/ids_shape", "attention_mask", TensorProto.DataType.INT64_VALUE, 1),
                constantOfShape("explain4j_bind/ids_shape", "token_type_ids", TensorProto.DataType.INT64_VALUE, 0));
        return rebuild(m, g, Set.of("attention_mask", "token_type_ids"), front);
    }

    /**
     * Silero VAD: {@code state} = zeros [2, N, 128] (N the batch of {@code input}) and
     * {@code sr} = 16000, so the model reads audio chunks only.
     */
    static byte[] sileroAudioOnly(byte[] model) {
        ModelProto m = parse(model);
        GraphProto.Builder g = m.getGraph().toBuilder();
        List<NodeProto> front = List.of(
                node("Shape", List.of("input"), "explain4j_bind/in_shape"),
                constant("explain4j_bind/zero", longs(new long[] {1}, 0)),
                NodeProto.newBuilder().setOpType("Gather").addInput("explain4j_bind/in_shape").addInput("explain4j_bind/zero")
                        .addOutput("explain4j_bind/batch").setName("explain4j_bind/batch").build(),
                constant("explain4j_bind/two", longs(new long[] {1}, 2)),
                constant("explain4j_bind/width", longs(new long[] {1}, 128)),
                NodeProto.newBuilder().setOpType("Concat").addInput("explain4j_bind/two").addInput("explain4j_bind/batch")
                        .addInput("explain4j_bind/width").addOutput("explain4j_bind/state_shape").setName("explain4j_bind/state_shape")
                        .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(0))
                        .build(),
                constantOfShape("explain4j_bind/state_shape", "state", TensorProto.DataType.FLOAT_VALUE, 0),
                constant("sr", longs(new long[0], 16000)));
        return rebuild(m, g, Set.of("state", "sr"), front);
    }

    private static byte[] rebuild(ModelProto m, GraphProto.Builder g, Set<String> bound, List<NodeProto> front) {
        List<ValueInfoProto> keep = g.getInputList().stream().filter(v -> !bound.contains(v.getName())).toList();
        g.clearInput().addAllInput(keep);
        List<NodeProto> nodes = List.copyOf(g.getNodeList());
        g.clearNode().addAllNode(front).addAllNode(nodes);
        return m.toBuilder().setGraph(g).build().toByteArray();
    }

    private static ModelProto parse(byte[] b) {
        try {
            return ModelProto.parseFrom(b);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model", e);
        }
    }

    private static NodeProto node(String op, List<String> in, String out) {
        return NodeProto.newBuilder().setOpType(op).addAllInput(in).addOutput(out).setName(out).build();
    }

    private static NodeProto constant(String out, TensorProto value) {
        return NodeProto.newBuilder().setOpType("Constant").addOutput(out).setName(out)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(value))
                .build();
    }

    private static NodeProto constantOfShape(String shape, String out, int type, double value) {
        TensorProto.Builder v = TensorProto.newBuilder().setDataType(type).addDims(1);
        if (type == TensorProto.DataType.INT64_VALUE) {
            v.addInt64Data((long) value);
        } else {
            v.addFloatData((float) value);
        }
        return NodeProto.newBuilder().setOpType("ConstantOfShape").addInput(shape).addOutput(out).setName(out)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(v))
                .build();
    }

    private static TensorProto longs(long[] dims, long... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE);
        for (long d : dims) {
            t.addDims(d);
        }
        for (long v : values) {
            t.addInt64Data(v);
        }
        return t.build();
    }
}
