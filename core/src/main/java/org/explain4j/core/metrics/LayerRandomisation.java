package org.explain4j.core.metrics;

import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.Explain4jException;

/**
 * The sequence of randomised models of the MPRT family (Quantus's
 * {@code get_random_layer_generator}): {@code top_down} randomises from the output layer towards
 * the input, cumulatively; {@code bottom_up} from the input layer up, cumulatively;
 * {@code independent} one layer at a time, in graph order. Step l's set of randomised layers is
 * what {@link Randomisable#randomised} receives; each layer's values come from the seed alone, so
 * a cascade keeps the values drawn at earlier steps.
 */
final class LayerRandomisation {
    private LayerRandomisation() {
    }

    /** The model of {@code in} as {@link Randomisable}; a usage error naming {@code model} otherwise. */
    static Randomisable of(MetricInput in, String metric) {
        if (in.model() instanceof Randomisable r) {
            if (r.layers().isEmpty()) {
                throw Explain4jException.usage("model", metric + " randomises the model's parameterised layers, but the model "
                        + "has none (no Conv, ConvTranspose, Gemm or MatMul with initializer weights)");
            }
            return r;
        }
        throw Explain4jException.usage("model", metric + " needs a model whose weights can be randomised (an ONNX model); "
                + "this model is not");
    }

    /** The randomised layer sets, one per step, for {@code order}. */
    static List<List<String>> steps(List<String> layers, String order) {
        List<String> seq = new ArrayList<>(layers);
        if (order.equals("top_down")) {
            java.util.Collections.reverse(seq);
        }
        List<List<String>> out = new ArrayList<>();
        for (int l = 0; l < seq.size(); l++) {
            out.add(order.equals("independent") ? List.of(seq.get(l)) : List.copyOf(seq.subList(0, l + 1)));
        }
        return out;
    }
}
