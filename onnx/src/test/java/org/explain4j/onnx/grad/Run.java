package org.explain4j.onnx.grad;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.onnx.OrtTensors;

/** Runs a built backward graph directly. */
final class Run {
    private Run() {
    }

    static double[] inputGradient(BackwardGraph g, Tensor x, Tensor seed) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(g.model().toByteArray());
             OnnxTensor xi = OrtTensors.toOrt(env, x);
             OnnxTensor si = OrtTensors.toOrt(env, seed);
             OrtSession.Result r = s.run(Map.of(g.inputName(), xi, g.seedName(), si))) {
            return OrtTensors.fromOrt((OnnxTensor) r.get(g.gradientOutputs().get(g.inputName())).orElseThrow())
                    .toDoubleArray();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
