import java.nio.file.Path;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;

/** Setup of IG's backward session in a fresh JVM: model load, backward graph, its session (what the cache touches). */
public class SetupProbe {
    public static void main(String[] a) {
        long t0 = System.nanoTime();
        try (OnnxDifferentiableModel m = new OnnxDifferentiableModel(OnnxModel.load(Path.of(a[0])))) {
            long t1 = System.nanoTime();
            m.backwardGraph(BackwardRequest.gradientOfInput(), 25, 3, 224, 224);
            long t2 = System.nanoTime();
            System.out.printf("%s load %.2f s, backward graph + session %.2f s%n", System.getProperty("explain4j.cache"),
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        }
    }
}
