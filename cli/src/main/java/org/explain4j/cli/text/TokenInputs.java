package org.explain4j.cli.text;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.explain4j.core.Explain4jException;

/**
 * A token model's inputs by role: the token ids (explained), and the attention mask and token
 * types (fed), found by name ({@code input_ids}, {@code attention_mask}, {@code token_type_ids}, or
 * names containing {@code ids}/{@code input}, {@code mask}, {@code type}).
 *
 * @param ids   the token ids input
 * @param mask  the attention mask input, or null
 * @param types the token types input, or null
 * @param all   every graph input that is not an initializer
 */
public record TokenInputs(String ids, String mask, String types, List<String> all) {
    public TokenInputs {
        all = List.copyOf(all);
    }

    /** The roles of {@code proto}'s inputs; a usage error (argument {@code --model}) when one has none. */
    public static TokenInputs of(ModelProto proto) {
        Set<String> inits = new HashSet<>();
        proto.getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
        List<String> names = proto.getGraph().getInputList().stream().map(ValueInfoProto::getName)
                .filter(n -> !inits.contains(n)).toList();
        String ids = find(names, "input_ids", "ids", "input");
        if (ids == null) {
            throw Explain4jException.usage("--model", "cannot tell which model input takes the token ids ("
                    + String.join(", ", names) + "); text models name it input_ids");
        }
        String mask = find(names, "attention_mask", "mask");
        String types = find(names, "token_type_ids", "type");
        for (String n : names) {
            if (!n.equals(ids) && !n.equals(mask) && !n.equals(types)) {
                throw Explain4jException.usage("--model", "the model input '" + n + "' is not token ids, an "
                        + "attention mask or token types; explain it with --input NAME=FILE.npy instead of --text");
            }
        }
        return new TokenInputs(ids, mask, types, names);
    }

    private static String find(List<String> names, String exact, String... contains) {
        if (names.contains(exact)) {
            return exact;
        }
        for (String c : contains) {
            for (String n : names) {
                if (n.toLowerCase(Locale.ROOT).contains(c)) {
                    return n;
                }
            }
        }
        return null;
    }
}
