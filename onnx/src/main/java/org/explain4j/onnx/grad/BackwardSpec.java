package org.explain4j.onnx.grad;

import java.util.List;
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
 */
public record BackwardSpec(String inputName, String outputName, int[] inputShape, List<String> gradients,
                           List<String> captures, List<String> feeds, RuleSet rules) {
    public BackwardSpec {
        if (inputName == null || outputName == null || inputShape == null || gradients == null || captures == null
                || feeds == null || rules == null) {
            throw new IllegalArgumentException("every field of a BackwardSpec is required");
        }
        inputShape = inputShape.clone();
        gradients = List.copyOf(gradients);
        captures = List.copyOf(captures);
        feeds = List.copyOf(feeds);
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
