package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Map;
import org.explain4j.core.Tensor;

/**
 * How the backward-graph builder reaches ONNX Runtime: the sessions of derived models (shape
 * probes, lowered models) and the probe runs themselves. {@link #PLAIN} serialises each model
 * whole; {@link OnnxDifferentiableModel} passes one that shares the model's weights between its
 * sessions ({@link SharedWeights}) and reuses probe runs of the same shape.
 */
@FunctionalInterface
interface OrtAccess {
    /** Every model serialised whole, every probe run. */
    OrtAccess PLAIN = ExternalData::createSession;

    /** A session for {@code p} (a model derived from the original), created with {@code so}. */
    OrtSession createSession(OrtEnvironment env, ModelProto p, OrtSession.SessionOptions so) throws OrtException;

    /** A shape probe of {@code model} (see {@link ShapeProbe#run}). */
    default ShapeProbe.Result probe(OrtEnvironment env, ModelProto model, String inputName, int inputType, int[] shape,
                                    Map<String, Tensor> fed) {
        return ShapeProbe.run(env, this, model, inputName, inputType, shape, fed);
    }
}
