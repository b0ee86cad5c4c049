package org.explain4j.cli;

import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.IndexInputs;
import org.explain4j.onnx.OnnxModel;

/**
 * Token ids checked before the model sees them: ONNX Runtime's {@code Gather} takes a negative
 * index as counting from the end (a silently wrong embedding; refused only for an input that feeds
 * a Gather) and fails on one past the table with
 * a message about a node; here either is one line naming the argument, the index in the user's
 * input, and the model's vocabulary size where an embedding table shows it. What the model does
 * with the input is the loaded model's own analysis ({@link OnnxModel#indexUse}): the model file is
 * not read or parsed again. Public for the service, which checks its instances' integer inputs
 * the same way.
 */
public final class TokenIds {
    private TokenIds() {
    }

    /**
     * Refuses token ids a vocabulary lookup would misread: a negative id where the input feeds a
     * {@code Gather} (or where the model is too large (over 512 MiB) to tell; any other integer input, e.g. a
     * position or a signed feature, may be negative), and one past the embedding table.
     */
    public static void check(OnnxModel model, String inputName, Tensor ids, String argument) {
        if (ids.dtype().isFloating()) {
            return;
        }
        check(model.indexUse(inputName), inputName, ids, argument);
    }

    /**
     * {@link #check(OnnxModel, String, Tensor, String)} for every input in {@code inputs} (by the
     * model's input name): the explained one and those fed as given alike, each named in an error
     * as {@code argument} gives it.
     */
    public static void checkAll(OnnxModel model, Map<String, Tensor> inputs, Function<String, String> argument) {
        inputs.forEach((name, t) -> check(model, name, t, argument.apply(name)));
    }

    /** As {@link #check(OnnxModel, String, Tensor, String)}, with the model's use of the input given. */
    static void check(IndexInputs.Use lookup, String inputName, Tensor ids, String argument) {
        if (ids.dtype().isFloating()) {
            return;
        }
        int n = ids.size();
        if (!lookup.known() || lookup.gathers()) {
            for (int i = 0; i < n; i++) {
                if (ids.getLong(i) < 0 && lookup.known()) {
                    throw Explain4jException.usage(argument, argument + " holds the token id " + ids.getLong(i) + " at index "
                            + ids.indexString(i) + "; token ids are 0 or more: check the tokenizer or vocabulary");
                }
                if (ids.getLong(i) < 0) {
                    throw Explain4jException.usage(argument, argument + " holds the negative integer " + ids.getLong(i)
                            + " at index " + ids.indexString(i) + "; explain4j could not analyse the model's graph (models over"
                            + " 512 MiB are not analysed) to tell whether input " + inputName + " feeds an embedding lookup,"
                            + " where a negative id silently reads from the end of the table: pass values of 0 or more"
                            + " (token ids from the model's tokenizer)");
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

}
