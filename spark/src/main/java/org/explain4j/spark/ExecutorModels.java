package org.explain4j.spark;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    /**
     * Threads with {@link org.explain4j.core.NativeThreads}' stack for the ONNX Runtime calls: on a
     * thread with a 1-2 MiB stack (Spark's task threads, the JVM's default) ONNX Runtime's native code
     * overflowed the stack in a JVM started with Spark's long class path (a SIGSEGV without a JVM
     * crash report). The stack is reserved, not committed.
     */
    private static final ExecutorService BIG_STACKS = Executors.newCachedThreadPool(
            org.explain4j.core.NativeThreads.daemonFactory("explain4j-onnx"));

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
            OnnxModel.Options options = o;
            return onBigStack(() -> new OnnxDifferentiableModel(OnnxModel.fromBytes(name, bytes.get(), options),
                    PropagationRegistry.standard()));
        });
    }

    /** The method for {@code specKey} on model {@code modelKey}, made once per JVM. */
    static AttributionMethod method(String specKey, Supplier<AttributionMethod> make) {
        return METHODS.computeIfAbsent(specKey, k -> make.get());
    }

    /** Runs {@code work} on a thread with a large stack and waits for it; its exception is rethrown as is. */
    static <T> T onBigStack(Callable<T> work) {
        Future<T> f = BIG_STACKS.submit(work);
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while explaining rows", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
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
