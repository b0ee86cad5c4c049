package org.explain4j.cli.text;

import java.util.List;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.Model;

/**
 * One explained side of a text run: the texts (A, the inputs), or text B (the {@code --similar-to}
 * text, repeated once per A) with each A's embedding as the fixed reference.
 *
 * @param name  "text" for a classifier, "A" or "B" for a similarity
 * @param texts the tokenized texts, one per row
 * @param ids   their padded token ids, (N, T)
 * @param fed   the model's other inputs (mask, token types, the reference embedding)
 * @param model the model the methods run on
 * @param tag   "" for a classifier, "A" or "B": the suffix of the files of this side
 */
public record TextSide(String name, List<TokenizedText> texts, Tensor ids, FedInputs fed, Model model, String tag) {
    public TextSide {
        texts = List.copyOf(texts);
    }
}
