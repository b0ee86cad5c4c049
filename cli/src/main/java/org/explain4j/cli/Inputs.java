package org.explain4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.ModelSignature;

/**
 * The input readers of {@code explain} for other modules (the service): an image (PNG/JPEG), an
 * {@code .npy} tensor or a CSV table with a header, turned into the model's input batch exactly as
 * {@code explain4j explain --input FILE --card CARD.json} does.
 */
public final class Inputs {
    private Inputs() {
    }

    /**
     * Reads {@code file} (its kind from its extension) for a model with signature {@code sig}.
     *
     * @param preprocessing the card's image preprocessing ({@code resize}, {@code mean}, {@code std},
     *                      {@code channels}), or null for none
     */
    public static Tensor read(Path file, ModelSignature sig, JsonNode preprocessing) {
        ExplainInput.Preprocessing pre = ExplainInput.Preprocessing.of(null, null, null, null,
                Optional.ofNullable(preprocessing));
        return ExplainInput.load(file, sig, pre, null).batch();
    }
}
