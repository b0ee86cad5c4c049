package org.explain4j.viz;

import java.util.List;

/**
 * The model's top predictions for one example, as the caller labels them.
 *
 * @param example     the example's name, e.g. {@code #0} or a file name
 * @param predictions its predictions, most probable first
 */
public record TopPredictions(String example, List<Prediction> predictions) {
    public TopPredictions {
        Checks.notNull(example, "example");
        predictions = Checks.copyOf(predictions, "predictions");
    }
}
