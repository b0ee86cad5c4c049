package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Building and reading ONNX node attributes. */
public final class Attr {
    private Attr() {
    }

    /** An integer attribute. */
    public static AttributeProto i(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(value).build();
    }

    /** A list-of-integers attribute. */
    public static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long v : values) {
            b.addInts(v);
        }
        return b.build();
    }

    /** A float attribute. */
    public static AttributeProto f(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(value).build();
    }

    /** A string attribute. */
    public static AttributeProto s(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING)
                .setS(ByteString.copyFrom(value, StandardCharsets.UTF_8)).build();
    }

    /** A tensor attribute. */
    public static AttributeProto t(String name, TensorProto value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.TENSOR).setT(value).build();
    }

    /** The attribute of that name, if the node has it. */
    public static Optional<AttributeProto> find(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    public static long getInt(NodeProto node, String name, long dflt) {
        return find(node, name).map(AttributeProto::getI).orElse(dflt);
    }

    public static float getFloat(NodeProto node, String name, float dflt) {
        return find(node, name).map(AttributeProto::getF).orElse(dflt);
    }

    public static String getString(NodeProto node, String name, String dflt) {
        return find(node, name).map(a -> a.getS().toStringUtf8()).orElse(dflt);
    }

    /** The integers of a list attribute, or {@code dflt} (which may be null) when absent. */
    public static long[] getInts(NodeProto node, String name, long[] dflt) {
        return find(node, name).map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray()).orElse(dflt);
    }

    /** The node without the named attribute. */
    public static NodeProto without(NodeProto node, String name) {
        NodeProto.Builder b = node.toBuilder().clearAttribute();
        for (AttributeProto a : node.getAttributeList()) {
            if (!a.getName().equals(name)) {
                b.addAttribute(a);
            }
        }
        return b.build();
    }
}
