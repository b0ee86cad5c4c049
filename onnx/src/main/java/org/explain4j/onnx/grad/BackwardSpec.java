package org.explain4j.onnx.grad;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.RuleSet;

/**
 * What backward graph to build.
 *
 * @param inputName  the model input
 * @param outputName the explained output
 * @param inputShape the concrete input shape, batch included; the graph is specialised to it
 * @param gradients  the tensors whose VJP is wanted: the input and/or intermediate tensors (for a
 *                   fed tensor, the VJP with respect to the fed value)
 * @param captures   tensors whose forward value becomes an extra output
 * @param feeds      tensors whose consumers read a new graph input instead
 * @param rules      how each op propagates
 * @param fedInputs  the model's other inputs, fed as given: each stays a graph input of the
 *                   backward graph, at the shape of the tensor given here (whose values the
 *                   shape probe runs on; nothing computed from them is taken as a constant)
 */
public record BackwardSpec(String inputName, String outputName, int[] inputShape, List<String> gradients,
                           List<String> captures, List<String> feeds, RuleSet rules, Map<String, Tensor> fedInputs) {
    public BackwardSpec {
        if (inputName == null || outputName == null || inputShape == null || gradients == null || captures == null
                || feeds == null || rules == null || fedInputs == null) {
            throw new IllegalArgumentException("every field of a BackwardSpec is required");
        }
        inputShape = inputShape.clone();
        gradients = List.copyOf(gradients);
        captures = List.copyOf(captures);
        feeds = List.copyOf(feeds);
        fedInputs = Collections.unmodifiableMap(new LinkedHashMap<>(fedInputs));
    }

    /** A spec for a model with a single input. */
    public BackwardSpec(String inputName, String outputName, int[] inputShape, List<String> gradients,
                        List<String> captures, List<String> feeds, RuleSet rules) {
        this(inputName, outputName, inputShape, gradients, captures, feeds, rules, Map.of());
    }

    @Override
    public int[] inputShape() {
        return inputShape.clone();
    }

    /** The plain gradient of {@code output} with respect to {@code input} at one input shape. */
    public static BackwardSpec inputGradient(String input, String output, int... shape) {
        return new BackwardSpec(input, output, shape, List.of(input), List.of(), List.of(), RuleSet.gradient());
    }
}
