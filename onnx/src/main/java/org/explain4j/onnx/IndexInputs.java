package org.explain4j.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What a model does with its integer inputs, read from its graph once: whether an input feeds a
 * {@code Gather} as indices (directly or after a {@code Cast}; Gather reads a negative index from
 * the end of its axis, so a negative token id is silently misread) and how many rows the embedding
 * table such a Gather reads along axis 0 has, where an initializer shows it. The command line's
 * token-id check reads this from the loaded model ({@link OnnxModel#indexUse}) instead of parsing
 * the model file again.
 */
public final class IndexInputs {
    private IndexInputs() {
    }

    /**
     * How the model uses one integer input.
     *
     * @param known      whether the model's graph was analysed (false: a model over 512 MiB, or bytes
     *                   that do not parse; the caller cannot tell whether the input is gathered)
     * @param gathers    whether the input feeds a Gather as indices along axis 0 (a row lookup)
     * @param vocabulary the rows of the smallest table such a Gather reads along axis 0, if an
     *                   initializer gives them
     */
    public record Use(boolean known, boolean gathers, OptionalLong vocabulary) {
        /** Nothing is known about the input. */
        public static final Use UNKNOWN = new Use(false, false, OptionalLong.empty());
    }

    /** The use of every graph input of {@code g} (initializers excluded), by input name. */
    static Map<String, Use> of(GraphProto g) {
        Set<String> initializers = new HashSet<>();
        Map<String, TensorProto> tables = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            initializers.add(t.getName());
            tables.put(t.getName(), t);
        }
        Map<String, Use> uses = new HashMap<>();
        for (ValueInfoProto in : g.getInputList()) {
            if (!initializers.contains(in.getName())) {
                uses.put(in.getName(), use(g, in.getName(), tables));
            }
        }
        return Map.copyOf(uses);
    }

    private static Use use(GraphProto g, String input, Map<String, TensorProto> tables) {
        // the input and its Casts (nodes are in topological order, so chains of Casts are followed)
        Set<String> names = new HashSet<>(Set.of(input));
        for (NodeProto node : g.getNodeList()) {
            if (node.getOpType().equals("Cast") && node.getInputCount() == 1 && names.contains(node.getInput(0))) {
                names.add(node.getOutput(0));
            }
        }
        long rows = Long.MAX_VALUE;
        boolean gathers = false;
        for (NodeProto node : g.getNodeList()) {
            if (node.getOpType().equals("Gather") && node.getInputCount() == 2 && names.contains(node.getInput(1))) {
                // a lookup of rows (axis 0) is what a vocabulary is; along another axis a negative index
                // (the last position, say) is a valid way of counting from the end and is not a token id
                boolean axis0 = node.getAttributeList().stream().noneMatch(a -> a.getName().equals("axis") && a.getI() != 0);
                gathers |= axis0;
                TensorProto table = tables.get(node.getInput(0));
                if (axis0 && table != null && table.getDimsCount() >= 1) {
                    rows = Math.min(rows, table.getDims(0));
                }
            }
        }
        return new Use(true, gathers, rows == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(rows));
    }
}
