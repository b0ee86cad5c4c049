import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;

/** Setup phases of IG's backward session in a fresh JVM, wall and process CPU time. */
public class SetupPhases {
    static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
    public static void main(String[] a) {
        long w0 = System.nanoTime(), c0 = cpu();
        try (OnnxDifferentiableModel m = new OnnxDifferentiableModel(OnnxModel.load(Path.of(a[0])))) {
            long w1 = System.nanoTime(), c1 = cpu();
            m.backwardGraph(BackwardRequest.gradientOfInput(), 25, 3, 224, 224);
            long w2 = System.nanoTime(), c2 = cpu();
            System.out.printf("%s: load %.2f s (cpu %.2f), graph + session %.2f s (cpu %.2f); jvm uptime at start %d ms; graph hits %d, optimised hits %d stores %d%n",
                    a.length > 1 ? a[1] : "", (w1 - w0) / 1e9, (c1 - c0) / 1e9, (w2 - w1) / 1e9, (c2 - c1) / 1e9,
                    ManagementFactory.getRuntimeMXBean().getUptime() - (w2 - w0) / 1000000,
                    org.explain4j.onnx.cache.BackwardGraphCache.hits(), org.explain4j.onnx.cache.OptimizedSessionCache.hits(),
                    org.explain4j.onnx.cache.OptimizedSessionCache.stores());
        }
    }
}
