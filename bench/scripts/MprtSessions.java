import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.BackwardGraph;
import org.explain4j.onnx.grad.LayerSwitchGraph;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;

/**
 * MPRT's two ways of running randomised copies, timed in one JVM, alternately: (copy) one ONNX
 * Runtime session per copy, compiled from the saliency backward graph with that copy's weights
 * replaced, then run twice (first and second run); (switch) one session of the graph with every
 * layer switched by If nodes (LayerSwitchGraph), compiled once, then run once per cascade step.
 * Wall and process CPU time of each compile and run. The draws are this probe's own (uniform,
 * PyTorch's bounds), not explain4j's; both variants get the same ones.
 *
 *   javac -cp JAR -d /tmp/p bench/scripts/MprtSessions.java
 *   java -cp JAR:/tmp/p MprtSessions MODEL.onnx [STEPS=6] [ROWS=4]
 *
 * The model's input must be (N, 3, 224, 224) float and its output (N, 1000) (ResNet-18 of bench).
 */
public class MprtSessions {
    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    static double cpu() {
        return OS.getProcessCpuTime() / 1e9;
    }

    static double now() {
        return System.nanoTime() / 1e9;
    }

    public static void main(String[] a) throws Exception {
        int steps = a.length > 1 ? Integer.parseInt(a[1]) : 6;
        int rows = a.length > 2 ? Integer.parseInt(a[2]) : 4;
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
                    for (String w : n.getInputList().subList(1, n.getInputCount())) {
                        layer.put(w, random(inits.get(w), draws.size()));
                    }
                    draws.add(layer);
                }
            }
            int layers = draws.size();
            double t0 = now(), c0 = cpu();
            ModelProto switched = LayerSwitchGraph.build(bwd, draws).orElseThrow();
            System.out.printf("layers %d; switched graph built in %.3f s (cpu %.3f)%n", layers, now() - t0, cpu() - c0);
            float[] x = new float[rows * 3 * 224 * 224];
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextDouble() * 2 - 1);
            }
            float[] s = new float[rows * 1000];
            for (int i = 0; i < rows; i++) {
                s[i * 1000 + 633] = 1;
            }
            try (OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {rows, 3, 224, 224});
                 OnnxTensor st = OnnxTensor.createTensor(env, FloatBuffer.wrap(s), new long[] {rows, 1000})) {
                OrtSession sw = null;
                for (int k = 1; k <= steps; k++) {
                    // copy: a session with the top k layers' weights replaced
                    ModelProto.Builder b = bwd.toBuilder();
                    for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
                        String name = b.getGraph().getInitializer(i).getName();
                        for (int l = layers - k; l < layers; l++) {
                            if (draws.get(l).containsKey(name)) {
                                b.getGraphBuilder().setInitializer(i, draws.get(l).get(name));
                            }
                        }
                    }
                    byte[] bytes = b.build().toByteArray();
                    double u0 = now(), v0 = cpu();
                    double[] copy;
                    try (OrtSession cs = env.createSession(bytes, options())) {
                        double u1 = now(), v1 = cpu();
                        double[] r1 = run(cs, xt, st, Map.of(), env);
                        double[] r2 = run(cs, xt, st, Map.of(), env);
                        copy = new double[] {u1 - u0, v1 - v0, r1[0], r1[1], r2[0], r2[1], r2[2]};
                    }
                    // switch: one session, the top k layers switched on
                    double cw = 0, cc = 0;
                    if (sw == null) {
                        double w0 = now(), z0 = cpu();
                        sw = env.createSession(switched.toByteArray(), options());
                        cw = now() - w0;
                        cc = cpu() - z0;
                    }
                    Map<String, Boolean> flags = new HashMap<>();
                    for (int l = 0; l < layers; l++) {
                        flags.put(LayerSwitchGraph.switchName(l), l >= layers - k);
                    }
                    double[] rs = run(sw, xt, st, flags, env);
                    System.out.printf("k=%2d copy: compile %.3f s (cpu %.3f), run1 %.3f s (cpu %.3f), run2 %.3f s (cpu %.3f) | "
                                    + "switch: compile %.3f s (cpu %.3f), run %.3f s (cpu %.3f) | |sum |g| copy - sum |g| switch| %.3g%n",
                            k, copy[0], copy[1], copy[2], copy[3], copy[4], copy[5], cw, cc, rs[0], rs[1],
                            Math.abs(copy[6] - rs[2]));
                }
                if (sw != null) {
                    sw.close();
                }
            }
        }
    }

    static OrtSession.SessionOptions options() throws Exception {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(2);
        so.setInterOpNumThreads(1);
        so.addConfigEntry("session.intra_op.allow_spinning", "0");
        return so;
    }

    /** Wall, CPU, and a checksum-like value of the gradient (sum of |g|). */
    static double[] run(OrtSession s, OnnxTensor x, OnnxTensor seed, Map<String, Boolean> flags, OrtEnvironment env)
            throws Exception {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put("input", x);
        in.put("explain4j_seed", seed);
        List<OnnxTensor> made = new ArrayList<>();
        for (Map.Entry<String, Boolean> f : flags.entrySet()) {
            OnnxTensor t = OnnxTensor.createTensor(env, f.getValue());
            made.add(t);
            in.put(f.getKey(), t);
        }
        double u0 = now(), v0 = cpu();
        double sum = 0;
        try (OrtSession.Result r = s.run(in)) {
            FloatBuffer gb = ((OnnxTensor) r.get("explain4j_grad__input").get()).getFloatBuffer();
            double u1 = now(), v1 = cpu();
            while (gb.hasRemaining()) {
                sum += Math.abs(gb.get());
            }
            for (OnnxTensor t : made) {
                t.close();
            }
            return new double[] {u1 - u0, v1 - v0, sum};
        }
    }

    static TensorProto random(TensorProto t, int layer) {
        int n = 1;
        for (long dim : t.getDimsList()) {
            n *= (int) dim;
        }
        int fanIn = t.getDimsCount() > 1 ? n / (int) t.getDims(0) : n;
        double bound = 1 / Math.sqrt(fanIn);
        SplittableRandom r = new SplittableRandom(42 + layer);
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) (-bound + 2 * bound * r.nextDouble()));
        }
        return t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(b.array())).build();
    }
}
