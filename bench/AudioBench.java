import java.nio.file.Path;
import java.util.Map;
import org.explain4j.cli.audio.AudioClip;
import org.explain4j.cli.audio.StreamingVad;
import org.explain4j.core.Attribution;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.Model;
import org.explain4j.onnx.OnnxModel;

/**
 * Occlusion over time windows on a clip with a streaming VAD (Silero VAD v5) against the bare
 * forward passes of the same clip, in one process, alternately.
 *
 * java -cp cli/target/explain4j.jar bench/AudioBench.java MODEL.onnx CLIP.wav WINDOW_MS STRIDE_MS REPEATS
 */
public class AudioBench {
    public static void main(String[] a) {
        Path model = Path.of(a[0]);
        Path wav = Path.of(a[1]);
        double windowMs = Double.parseDouble(a[2]);
        double strideMs = Double.parseDouble(a[3]);
        int repeats = Integer.parseInt(a[4]);
        try (OnnxModel m = OnnxModel.load(model, OnnxModel.Options.defaults().withInputName("input"))) {
            StreamingVad.Names names = StreamingVad.detect(m.signature()).orElseThrow();
            try (StreamingVad vad = StreamingVad.open(m, names, 16000, null)) {
                AudioClip clip = AudioClip.load(wav, 16000, "clip");
                Model clipModel = vad.clipModel(clip.length());
                Tensor x = Tensor.ofFloats(clip.samples(), 1, clip.length());
                int k = vad.chunks(clip.length());
                double[] w = new double[k];
                java.util.Arrays.fill(w, 1.0 / k);
                Target mean = Target.weighting(w);
                MethodSpec occ = MethodCatalog.get("occlusion");
                int win = clip.samplesFor(windowMs);
                int str = clip.samplesFor(strideMs);
                int positions = (int) Math.ceil((clip.length() - win) / (double) str) + 1;
                Tensor batch = Tensor.concat(java.util.Collections.nCopies(positions + 1, x));
                System.out.printf("clip %.2f s, %d chunks; occlusion window %d samples, stride %d: %d positions%n",
                        clip.seconds(), k, win, str, positions);
                double best1 = Double.MAX_VALUE;
                double bestN = Double.MAX_VALUE;
                double bestOcc = Double.MAX_VALUE;
                for (int r = 0; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    clipModel.forward(x);
                    double one = (System.nanoTime() - t0) / 1e9;
                    t0 = System.nanoTime();
                    clipModel.forward(batch);
                    double many = (System.nanoTime() - t0) / 1e9;
                    t0 = System.nanoTime();
                    Attribution at = occ.create(clipModel, occ.bind(Map.of("window", new int[] {win}, "stride", new int[] {str})),
                            ProgressListener.NONE).attribute(x, mean);
                    double o = (System.nanoTime() - t0) / 1e9;
                    best1 = Math.min(best1, one);
                    bestN = Math.min(bestN, many);
                    bestOcc = Math.min(bestOcc, o);
                    System.out.printf("repeat %d: forward 1 clip %.3f s, forward %d clips in one batch %.3f s, occlusion %.3f s "
                            + "(%d evaluations)%n", r, one, positions + 1, many, o, at.diagnostics().modelEvaluations());
                }
                System.out.printf("best: forward 1 clip %.3f s; forward %d clips %.3f s; occlusion %.3f s; occlusion / "
                        + "forward of the same clips %.2f%n", best1, positions + 1, bestN, bestOcc, bestOcc / bestN);
            }
        }
    }
}
