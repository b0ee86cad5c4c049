package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.Map;
import java.util.Set;

/**
 * A built backward model and how to use it: its inputs are the model input, the seed and one
 * input per fed tensor; its outputs are the forward output, the VJPs and the captured activations.
 *
 * @param model             the backward model (a new proto; the original is untouched)
 * @param opset             its default-domain opset
 * @param inputName         the model input
 * @param seedName          the seed input, of the output's shape
 * @param outputName        the forward output
 * @param outputMeta        the forward output's type and concrete shape
 * @param gradientOutputs   requested tensor name to the graph output holding its VJP
 * @param activationOutputs captured tensor name to the graph output holding its value
 * @param feedInputs        fed tensor name to the graph input that replaces it
 * @param feedMetas         fed tensor name to its type and concrete shape
 * @param valueInputs       initializers of the model whose values went into the graph's structure
 *                          (read while it was built, directly or through an integer tensor computed
 *                          from them); a model with other values in any of them needs a graph of its
 *                          own, while one differing only in other initializers can take this graph
 *                          with those initializers replaced. Every initializer when the graph was
 *                          lowered first (control flow, recurrent ops, old opsets), whose folds are
 *                          not tracked.
 */
public record BackwardGraph(ModelProto model, int opset, String inputName, String seedName, String outputName,
                            TensorMeta outputMeta, Map<String, String> gradientOutputs,
                            Map<String, String> activationOutputs, Map<String, String> feedInputs,
                            Map<String, TensorMeta> feedMetas, Set<String> valueInputs) {
    public BackwardGraph {
        valueInputs = Set.copyOf(valueInputs);
        gradientOutputs = Map.copyOf(gradientOutputs);
        activationOutputs = Map.copyOf(activationOutputs);
        feedInputs = Map.copyOf(feedInputs);
        feedMetas = Map.copyOf(feedMetas);
    }
}
