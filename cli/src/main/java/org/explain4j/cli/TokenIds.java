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
 * index as counting from the end (a silently wrong embedding) and fails on one past the table with
 * a message about a node; here either is one line naming the argument, the index in the user's
 * input, and the model's vocabulary size where an embedding table shows it.
 */
final class TokenIds {
    /** Models larger than this are not parsed for their vocabulary (negative ids are still refused). */
    private static final long MAX_PARSED_BYTES = 512L << 20;

    private TokenIds() {
    }

    static void check(Path model, String inputName, Tensor ids, String argument) {
        if (ids.dtype().isFloating()) {
            return;
        }
        int n = ids.size();
        for (int i = 0; i < n; i++) {
            if (ids.getLong(i) < 0) {
                throw Explain4jException.usage(argument, argument + " holds the token id " + ids.getLong(i) + " at index "
                        + ids.indexString(i) + "; token ids are 0 or more: check the tokenizer or vocabulary");
            }
        }
        OptionalLong vocab = vocabulary(model, inputName);
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
        ModelProto proto;
        try {
            if (model == null || !Files.isRegularFile(model) || Files.size(model) > MAX_PARSED_BYTES) {
                return OptionalLong.empty();
            }
            proto = TextGraphs.parse(Files.readAllBytes(model));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty(); // loading the model reports a bad file
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
        for (NodeProto node : proto.getGraph().getNodeList()) {
            boolean axis0 = node.getAttributeList().stream().noneMatch(a -> a.getName().equals("axis") && a.getI() != 0);
            if (node.getOpType().equals("Gather") && node.getInputCount() == 2 && names.contains(node.getInput(1)) && axis0) {
                TensorProto table = init.get(node.getInput(0));
                if (table != null && table.getDimsCount() >= 1) {
                    rows = Math.min(rows, table.getDims(0));
                }
            }
        }
        return rows == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(rows);
    }
}
