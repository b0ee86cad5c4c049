package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Appends nodes and constant initializers to the backward part of a graph, with fresh names that
 * collide with no name of the model. Emitted ops use the forms of the target opset.
 */
final class GraphEmitter {
    private final Set<String> taken;
    private final int opset;
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private final Map<String, String> constants = new HashMap<>();
    private int counter;

    GraphEmitter(Set<String> taken, int opset) {
        this.taken = taken;
        this.opset = opset;
    }

    int opset() {
        return opset;
    }

    List<NodeProto> nodes() {
        return nodes;
    }

    List<TensorProto> initializers() {
        return initializers;
    }

    /** A name not used anywhere in the graph yet. */
    String fresh(String hint) {
        while (true) {
            String name = "explain4j/" + hint + "_" + counter++;
            if (taken.add(name)) {
                return name;
            }
        }
    }

    /** Appends a node with {@code outputs} fresh outputs and returns their names. */
    List<String> node(String opType, List<String> inputs, int outputs, List<AttributeProto> attrs) {
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outs.add(fresh(opType));
        }
        nodes.add(NodeProto.newBuilder().setOpType(opType).setName(fresh("node_" + opType))
                .addAllInput(inputs).addAllOutput(outs).addAllAttribute(attrs).build());
        return outs;
    }

    /** Appends a single-output node and returns its output. */
    String op(String opType, List<String> inputs, AttributeProto... attrs) {
        return node(opType, inputs, 1, List.of(attrs)).get(0);
    }

    /** A 1-D int64 constant. */
    String longs(long... values) {
        return constant("i64" + Arrays.toString(values), () -> TensorProtos.longs(fresh("const"), null, values));
    }

    /** A scalar (0-D) constant of a floating element type. */
    String scalar(double value, int elemType) {
        return constant("s" + elemType + ":" + value,
                () -> TensorProtos.floats(fresh("const"), elemType, new long[0], value));
    }

    /** A floating constant of any shape. */
    String floats(int elemType, long[] shape, double[] values) {
        TensorProto t = TensorProtos.floats(fresh("const"), elemType, shape, values);
        initializers.add(t);
        return t.getName();
    }

    private String constant(String key, java.util.function.Supplier<TensorProto> make) {
        return constants.computeIfAbsent(key, k -> {
            TensorProto t = make.get();
            initializers.add(t);
            return t.getName();
        });
    }

    /** A tensor of zeros of the given shape and element type. */
    String zeros(long[] shape, int elemType) {
        TensorProto zero = TensorProtos.floats("", elemType, new long[] {1}, 0.0);
        return op("ConstantOfShape", List.of(longs(shape)), Attr.t("value", zero));
    }

    String reshape(String x, long[] shape) {
        return op("Reshape", List.of(x, longs(shape)));
    }

    /** ReduceSum over {@code axes} in the form of the target opset (axes as input from 13). */
    String reduceSum(String x, long[] axes, boolean keepdims) {
        AttributeProto keep = Attr.i("keepdims", keepdims ? 1 : 0);
        if (opset >= 13) {
            return op("ReduceSum", List.of(x, longs(axes)), keep);
        }
        return op("ReduceSum", List.of(x), Attr.ints("axes", axes), keep);
    }

    /**
     * Sums a gradient of shape {@code from} over the axes that numpy broadcasting added or
     * stretched, so that it takes the operand's shape {@code to}.
     */
    String unbroadcast(String grad, long[] from, long[] to) {
        if (Arrays.equals(from, to)) {
            return grad;
        }
        int lead = from.length - to.length;
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < from.length; i++) {
            if (i < lead || (to[i - lead] == 1 && from[i] != 1)) {
                axes.add((long) i);
            }
        }
        String reduced = axes.isEmpty() ? grad
                : reduceSum(grad, axes.stream().mapToLong(Long::longValue).toArray(), true);
        return reshape(reduced, to);
    }
}
