package org.explain4j.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;

/**
 * The models of one JVM (an executor, or the driver in local mode): one {@link OnnxModel} and its
 * backward-pass wrapper (whose compiled backward sessions it caches) per model SHA-256 and model
 * options, and the methods made on it per spec, shared by every task the JVM runs. Closed when
 * the JVM shuts down (the ONNX Runtime environment itself is never closed).
 */
final class ExecutorModels {
    private static final Map<String, OnnxDifferentiableModel> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, AttributionMethod> METHODS = new ConcurrentHashMap<>();
    private static final Map<String, Integer> LOADS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "explain4j-models-close"));
    }

    private ExecutorModels() {
    }

    /** The model with this SHA in this JVM, made from {@code bytes} (read only on the first call). */
    static OnnxDifferentiableModel model(String sha, String name, String inputName, String outputName,
                                          Supplier<byte[]> bytes) {
        String key = sha + "|" + inputName + "|" + outputName;
        return MODELS.computeIfAbsent(key, k -> {
            OnnxModel.Options o = OnnxModel.Options.defaults();
            if (inputName != null) {
                o = o.withInputName(inputName);
            }
            if (outputName != null) {
                o = o.withOutputName(outputName);
            }
            LOADS.merge(sha, 1, Integer::sum);
            return new OnnxDifferentiableModel(OnnxModel.fromBytes(name, bytes.get(), o), PropagationRegistry.standard());
        });
    }

    /** The method for {@code specKey} on model {@code modelKey}, made once per JVM. */
    static AttributionMethod method(String specKey, Supplier<AttributionMethod> make) {
        return METHODS.computeIfAbsent(specKey, k -> make.get());
    }

    /** How many times this JVM loaded the model with {@code sha} (1 when the cache works). */
    static int loads(String sha) {
        return LOADS.getOrDefault(sha, 0);
    }

    static synchronized void closeAll() {
        METHODS.clear();
        for (String k : java.util.List.copyOf(MODELS.keySet())) {
            OnnxDifferentiableModel m = MODELS.remove(k);
            try {
                m.close();
            } finally {
                m.model().close();
            }
        }
    }
}
