import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;

/** Process CPU of setup and of the first backward calls of 25 rows in a fresh JVM. */
public class FirstCalls {
    static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
    public static void main(String[] a) {
        long c0 = cpu();
        StringBuilder sb = new StringBuilder(a.length > 1 ? a[1] : "");
        try (OnnxDifferentiableModel m = new OnnxDifferentiableModel(OnnxModel.load(Path.of(a[0])))) {
            long c1 = cpu();
            sb.append(String.format(" load cpu %.2f", (c1 - c0) / 1e9));
            float[] v = new float[25 * 3 * 224 * 224];
            java.util.Random r = new java.util.Random(1);
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            Tensor x = Tensor.ofFloats(v, 25, 3, 224, 224);
            Tensor seed = Tensor.full(DType.FLOAT32, 1.0 / 1000, 25, 1000);
            m.backwardGraph(BackwardRequest.gradientOfInput(), 25, 3, 224, 224);
            long c2 = cpu();
            sb.append(String.format(", graph+session cpu %.2f, calls", (c2 - c1) / 1e9));
            for (int k = 0; k < 4; k++) {
                long w = System.nanoTime(), c = cpu();
                m.backward(x, seed, BackwardRequest.gradientOfInput());
                sb.append(String.format(" %.2f/%.2f", (System.nanoTime() - w) / 1e9, (cpu() - c) / 1e9));
            }
        }
        sb.append(" (wall/cpu s)");
        System.out.println(sb);
    }
}
