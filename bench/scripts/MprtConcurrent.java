import ai.onnx.proto.OnnxMl.*;
import ai.onnxruntime.*;
import com.google.protobuf.ByteString;
import java.nio.*;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.*;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.*;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;

/**
 * MPRT's switched session (LayerSwitchGraph of ResNet-18's saliency backward graph, 4 rows, every
 * layer switched) run two ways, alternately in one JVM: (sequential) one session on 2 intra-op
 * threads, the cascade's steps 1..STEPS one after the other; (concurrent) one session on 1 thread,
 * the same steps from a pool of 2 Java threads. Wall and process CPU of each batch of passes, and
 * the largest difference between the two ways' gradients (0: bit-identical). The draws are this
 * probe's own (uniform, PyTorch's bounds). No spinning, as in explain4j's switched session.
 *
 *   javac -cp JAR -d /tmp/p bench/scripts/MprtConcurrent.java
 *   java -Dexplain4j.cache=off -cp JAR:/tmp/p MprtConcurrent MODEL.onnx STEPS REPEATS
 */
public class MprtConcurrent {
    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    static double cpu() { return OS.getProcessCpuTime() / 1e9; }
    static double now() { return System.nanoTime() / 1e9; }
    public static void main(String[] a) throws Exception {
        int steps = Integer.parseInt(a[1]); int rows = 4; int reps = Integer.parseInt(a[2]);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxModel m = OnnxModel.load(Path.of(a[0]));
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(m, PropagationRegistry.standard())) {
            BackwardGraph g = d.backwardGraph(BackwardRequest.gradientOfInput(), rows, 3, 224, 224);
            ModelProto bwd = g.model();
            ModelProto orig = ModelProto.parseFrom(m.modelBytes());
            Map<String, TensorProto> inits = new HashMap<>();
            bwd.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
            List<Map<String, TensorProto>> draws = new ArrayList<>();
            for (NodeProto n : orig.getGraph().getNodeList()) {
                if ((n.getOpType().equals("Conv") || n.getOpType().equals("Gemm")) && inits.containsKey(n.getInput(1))) {
                    Map<String, TensorProto> layer = new LinkedHashMap<>();
                    for (String w : n.getInputList().subList(1, n.getInputCount())) layer.put(w, random(inits.get(w), draws.size()));
                    draws.add(layer);
                }
            }
            int layers = draws.size();
            byte[] sw = LayerSwitchGraph.build(bwd, draws).orElseThrow().toByteArray();
            float[] x = new float[rows * 3 * 224 * 224];
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
            float[] s = new float[rows * 1000];
            for (int i = 0; i < rows; i++) s[i * 1000 + 633] = 1;
            double t0 = now(), c0 = cpu();
            OrtSession s2 = env.createSession(sw, options(2));
            System.out.printf("compile 2t %.2f s cpu %.2f%n", now() - t0, cpu() - c0);
            t0 = now(); c0 = cpu();
            OrtSession s1 = env.createSession(sw, options(1));
            System.out.printf("compile 1t %.2f s cpu %.2f%n", now() - t0, cpu() - c0);
            try (OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {rows, 3, 224, 224});
                 OnnxTensor st = OnnxTensor.createTensor(env, FloatBuffer.wrap(s), new long[] {rows, 1000})) {
                run(s2, xt, st, flags(layers, 1), env); run(s1, xt, st, flags(layers, 1), env);
                ExecutorService pool = Executors.newFixedThreadPool(2);
                for (int rep = 0; rep < reps; rep++) {
                    float[][] seq = new float[steps][];
                    t0 = now(); c0 = cpu();
                    for (int k = 1; k <= steps; k++) seq[k - 1] = run(s2, xt, st, flags(layers, k), env);
                    System.out.printf("rep %d sequential 2 threads: %d runs %.2f s wall, cpu %.2f%n", rep, steps, now() - t0, cpu() - c0);
                    t0 = now(); c0 = cpu();
                    List<Future<float[]>> fs = new ArrayList<>();
                    for (int k = 1; k <= steps; k++) { int kk = k; fs.add(pool.submit(() -> run(s1, xt, st, flags(layers, kk), env))); }
                    float[][] par = new float[steps][];
                    for (int k = 0; k < steps; k++) par[k] = fs.get(k).get();
                    System.out.printf("rep %d concurrent 2 x 1 thread: %d runs %.2f s wall, cpu %.2f%n", rep, steps, now() - t0, cpu() - c0);
                    double md = 0;
                    for (int k = 0; k < steps; k++) for (int i = 0; i < seq[k].length; i++) md = Math.max(md, Math.abs(seq[k][i] - par[k][i]));
                    System.out.printf("max |2t - 1t| %.3g%n", md);
                }
                pool.shutdown();
            }
        }
    }
    static Map<String, Boolean> flags(int layers, int k) {
        Map<String, Boolean> f = new HashMap<>();
        for (int l = 0; l < layers; l++) f.put(LayerSwitchGraph.switchName(l), l >= layers - k);
        return f;
    }
    static OrtSession.SessionOptions options(int t) throws Exception {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(t);
        so.setInterOpNumThreads(1);
        so.addConfigEntry("session.intra_op.allow_spinning", "0");
        return so;
    }
    static float[] run(OrtSession s, OnnxTensor x, OnnxTensor seed, Map<String, Boolean> flags, OrtEnvironment env) throws Exception {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put("input", x); in.put("explain4j_seed", seed);
        List<OnnxTensor> made = new ArrayList<>();
        for (Map.Entry<String, Boolean> f : flags.entrySet()) { OnnxTensor t = OnnxTensor.createTensor(env, f.getValue()); made.add(t); in.put(f.getKey(), t); }
        try (OrtSession.Result r = s.run(in)) {
            FloatBuffer gb = ((OnnxTensor) r.get("explain4j_grad__input").get()).getFloatBuffer();
            float[] out = new float[gb.remaining()]; gb.get(out);
            for (OnnxTensor t : made) t.close();
            return out;
        }
    }
    static TensorProto random(TensorProto t, int layer) {
        int n = 1; for (long dim : t.getDimsList()) n *= (int) dim;
        int fanIn = t.getDimsCount() > 1 ? n / (int) t.getDims(0) : n;
        double bound = 1 / Math.sqrt(fanIn);
        SplittableRandom r = new SplittableRandom(42 + layer);
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat((float) (-bound + 2 * bound * r.nextDouble()));
        return t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(b.array())).build();
    }
}
