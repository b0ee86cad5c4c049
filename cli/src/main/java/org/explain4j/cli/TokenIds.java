package org.explain4j.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.text.TextGraphs;

/**
 * Token ids checked before the model sees them: ONNX Runtime's {@code Gather} takes a negative
 * index as counting from the end (a silently wrong embedding; refused only for an input that feeds
 * a Gather) and fails on one past the table with
 * a message about a node; here either is one line naming the argument, the index in the user's
 * input, and the model's vocabulary size where an embedding table shows it.
 */
final class TokenIds {
    /** Models larger than this are not parsed for their vocabulary (negative ids are then refused, as for a Gather). */
    private static final long MAX_PARSED_BYTES = 512L << 20;

    private TokenIds() {
    }

    /**
     * What the model does with an integer input: whether it is known (the model was parsed),
     * whether it feeds a {@code Gather} as indices (directly or after a {@code Cast}), and the rows of
     * the embedding table such a Gather reads where an initializer shows them.
     */
    record Lookup(boolean known, boolean gathers, OptionalLong vocabulary) {
        static final Lookup UNKNOWN = new Lookup(false, false, OptionalLong.empty());
    }

    /**
     * Refuses token ids a vocabulary lookup would misread: a negative id where the input feeds a
     * {@code Gather} (or where the model is too large to tell; any other integer input, e.g. a
     * position or a signed feature, may be negative), and one past the embedding table.
     */
    static void check(Path model, String inputName, Tensor ids, String argument) {
        if (ids.dtype().isFloating()) {
            return;
        }
        int n = ids.size();
        Lookup lookup = lookup(model, inputName);
        if (!lookup.known() || lookup.gathers()) {
            for (int i = 0; i < n; i++) {
                if (ids.getLong(i) < 0) {
                    throw Explain4jException.usage(argument, argument + " holds the token id " + ids.getLong(i) + " at index "
                            + ids.indexString(i) + "; token ids are 0 or more: check the tokenizer or vocabulary");
                }
            }
        }
        OptionalLong vocab = lookup.vocabulary();
        if (vocab.isEmpty()) {
            return;
        }
        for (int i = 0; i < n; i++) {
            if (ids.getLong(i) >= vocab.getAsLong()) {
                throw Explain4jException.usage(argument, argument + " holds the token id " + ids.getLong(i) + " at index "
                        + ids.indexString(i) + ", outside the model's vocabulary of " + vocab.getAsLong() + " (ids 0.."
                        + (vocab.getAsLong() - 1) + "); use the tokenizer or vocabulary the model was trained with");
            }
        }
    }

    /** The rows of the embedding table the input indexes directly (a Gather, possibly after a Cast), if any. */
    static OptionalLong vocabulary(Path model, String inputName) {
        return lookup(model, inputName).vocabulary();
    }

    /** How the model uses {@code inputName}; {@link Lookup#UNKNOWN} when the file is not parsed. */
    static Lookup lookup(Path model, String inputName) {
        ModelProto proto;
        try {
            if (model == null || !Files.isRegularFile(model) || Files.size(model) > MAX_PARSED_BYTES) {
                return Lookup.UNKNOWN;
            }
            proto = TextGraphs.parse(Files.readAllBytes(model));
        } catch (IOException | RuntimeException e) {
            return Lookup.UNKNOWN; // loading the model reports a bad file
        }
        Map<String, TensorProto> init = new HashMap<>();
        for (TensorProto t : proto.getGraph().getInitializerList()) {
            init.put(t.getName(), t);
        }
        java.util.Set<String> names = new java.util.HashSet<>(java.util.List.of(inputName));
        for (NodeProto node : proto.getGraph().getNodeList()) {
            if (node.getOpType().equals("Cast") && node.getInputCount() == 1 && names.contains(node.getInput(0))) {
                names.add(node.getOutput(0));
            }
        }
        long rows = Long.MAX_VALUE;
        boolean gathers = false;
        for (NodeProto node : proto.getGraph().getNodeList()) {
            if (node.getOpType().equals("Gather") && node.getInputCount() == 2 && names.contains(node.getInput(1))) {
                // any axis: Gather reads a negative index from the end of that axis
                gathers = true;
                boolean axis0 = node.getAttributeList().stream().noneMatch(a -> a.getName().equals("axis") && a.getI() != 0);
                TensorProto table = init.get(node.getInput(0));
                if (axis0 && table != null && table.getDimsCount() >= 1) {
                    rows = Math.min(rows, table.getDims(0));
                }
            }
        }
        return new Lookup(true, gathers, rows == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(rows));
    }
}
