package org.explain4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.explain4j.cli.audio.AudioClip;
import org.explain4j.cli.audio.AudioOptions;
import org.explain4j.cli.audio.StreamingVad;
import org.explain4j.core.Attribution;
import org.explain4j.core.Diagnostics;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.audio.LogMel;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Need;
import org.explain4j.core.catalog.Output;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.InputSpec;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelSignature;

/**
 * A waveform and the model that explains it, for {@code --audio}: either a streaming voice-activity
 * model (Silero VAD's layout, see {@link StreamingVad}) whose output is the speech probability of
 * each chunk, or a model whose explained input is the waveform itself, (N, T) or (N, 1, T), whose
 * output is its classes. Every method returns one value per sample of the clip, (1, T).
 * Time windows are given in milliseconds ({@code --window-ms}, {@code --stride-ms}) and become
 * occlusion windows or segment masks in samples.
 */
final class AudioExplanation implements AutoCloseable {
    static final double DEFAULT_WINDOW_MS = 100;
    static final double DEFAULT_SEGMENT_MS = 250;

    private final ModelLoader.Loaded model;
    private final AudioClip clip;
    private final StreamingVad vad;
    private final StreamingVad.Pass pass;
    private final Tensor wave;
    private final FedInputs fed;
    private final double[] outputs;
    private final LogMel mel;
    private final double[][] logmel;
    private final List<String> labels;

    private AudioExplanation(ModelLoader.Loaded model, AudioClip clip, StreamingVad vad, Tensor wave, FedInputs fed) {
        this(model, clip, vad, wave, fed, null, null, List.of());
    }

    private AudioExplanation(ModelLoader.Loaded model, AudioClip clip, StreamingVad vad, Tensor wave, FedInputs fed,
                             LogMel mel, double[][] logmel, List<String> labels) {
        this.mel = mel;
        this.logmel = logmel;
        this.labels = labels;
        this.model = model;
        this.clip = clip;
        this.vad = vad;
        this.wave = wave;
        this.fed = fed;
        if (vad != null) {
            this.pass = vad.run(new float[][] {clip.samples()}, true);
            this.outputs = pass.probabilities()[0];
        } else {
            this.pass = null;
            Tensor out = Explainer.forward(model, wave, fed);
            this.outputs = out.example(0).toDoubleArray();
        }
    }

    /**
     * The clip of {@code opts.audio} for {@code loaded}, with the model's other inputs taken from
     * {@code given} (by name; a streaming model's state and sample rate default to zeros and 16 kHz).
     */
    static AudioExplanation open(ModelLoader.Loaded loaded, AudioOptions opts, Map<String, Tensor> given) {
        ModelSignature sig = loaded.signature();
        Optional<StreamingVad.Names> streaming = StreamingVad.detect(sig);
        if (opts.features != null) {
            if (streaming.isPresent()) {
                throw Explain4jException.usage("--front-end", "--front-end: the model is a streaming VAD that takes the "
                        + "waveform itself; leave --front-end out");
            }
            return spectrogram(loaded, opts, given);
        }
        if (streaming.isPresent()) {
            StreamingVad.Names n = streaming.get();
            int rate = opts.sampleRate != null ? opts.sampleRate : 16000;
            if (given.containsKey(n.rate())) {
                Tensor sr = given.get(n.rate());
                if (sr.size() != 1) {
                    throw Explain4jException.shape("--input", "--input " + n.rate() + " holds " + sr.describe()
                            + "; the sample rate is one integer");
                }
                int fedRate = (int) sr.getLong(0);
                if (opts.sampleRate != null && opts.sampleRate != fedRate) {
                    throw Explain4jException.usage("--sample-rate", "--sample-rate " + opts.sampleRate + " differs from the "
                            + "fed --input " + n.rate() + " (" + fedRate + "); give one of them");
                }
                rate = fedRate;
            }
            for (String k : given.keySet()) {
                if (!k.equals(n.state()) && !k.equals(n.rate())) {
                    throw Explain4jException.usage("--input", "--input " + k + ": with --audio the waveform is the "
                            + "input '" + n.audio() + "'; only " + n.state() + " and " + n.rate() + " may be given");
                }
            }
            AudioClip clip = AudioClip.load(opts.audio, rate, "--audio");
            ModelLoader.Loaded m = loaded.explaining(n.audio());
            StreamingVad vad = StreamingVad.open(m.onnx(), n, rate, given.get(n.state()));
            try {
                return new AudioExplanation(m, clip, vad, null, FedInputs.none());
            } catch (RuntimeException e) {
                vad.close();
                throw e;
            }
        }
        InputSpec in = sig.explained();
        if (!in.type().isFloating() || !(in.rank() == 2 || (in.rank() == 3 && in.shape()[1] == 1))) {
            throw Explain4jException.unsupported("--audio", "--audio: the model's input '" + in.name() + "' is "
                    + in.describe() + "; --audio explains a waveform input (N, T) or (N, 1, T), or a streaming VAD with "
                    + "inputs (input, state, sr); give other inputs with --input");
        }
        int rate = opts.sampleRate != null ? opts.sampleRate : 16000;
        AudioClip clip = AudioClip.load(opts.audio, rate, "--audio");
        int declared = in.shape()[in.rank() - 1];
        if (declared > 0 && declared != clip.length()) {
            throw Explain4jException.shape("--audio", String.format(Locale.ROOT, "--audio %s has %d samples at %d Hz but "
                    + "the model takes exactly %d (%.3f s); cut or pad the clip (e.g. sox in.wav out.wav trim 0 %.3f pad 0 1)",
                    opts.audio.getFileName(), clip.length(), rate, declared, declared / (double) rate, declared / (double) rate));
        }
        Tensor wave = in.rank() == 2 ? Tensor.ofFloats(clip.samples(), 1, clip.length())
                : Tensor.ofFloats(clip.samples(), 1, 1, clip.length());
        Map<String, Tensor> others = new LinkedHashMap<>(given);
        others.remove(in.name());
        return new AudioExplanation(loaded, clip, null, wave, FedInputs.of(others));
    }

    /** A model that takes a log-mel spectrogram computed with the card {@code opts.features}. */
    private static AudioExplanation spectrogram(ModelLoader.Loaded loaded, AudioOptions opts, Map<String, Tensor> given) {
        com.fasterxml.jackson.databind.JsonNode c;
        try {
            c = new com.fasterxml.jackson.databind.ObjectMapper().readTree(opts.features.toFile());
        } catch (java.io.IOException e) {
            throw Explain4jException.file("--front-end", "--front-end " + opts.features + " is not readable JSON: "
                    + Main.oneLine(e.getMessage()));
        }
        for (String k : new String[] {"sample_rate", "n_fft", "hop", "n_mels", "f_max"}) {
            if (c == null || !c.has(k) || !c.get(k).isNumber()) {
                throw Explain4jException.usage("--front-end", "--front-end " + opts.features + " has no number '" + k
                        + "'; give sample_rate, n_fft, hop, n_mels, f_min, f_max and log_offset");
            }
        }
        LogMel lm = new LogMel(c.get("sample_rate").asInt(), c.get("n_fft").asInt(), c.get("hop").asInt(),
                c.get("n_mels").asInt(), c.path("f_min").asDouble(0), c.get("f_max").asDouble(),
                c.path("log_offset").asDouble(1e-6));
        List<String> labels = new java.util.ArrayList<>();
        c.path("labels").forEach(l -> labels.add(l.asText()));
        if (opts.sampleRate != null && opts.sampleRate != lm.sampleRate()) {
            throw Explain4jException.usage("--sample-rate", "--sample-rate " + opts.sampleRate + " differs from the "
                    + "--front-end card's sample_rate " + lm.sampleRate() + "; leave --sample-rate out");
        }
        InputSpec in = loaded.signature().explained();
        int rank = in.rank();
        if (!in.type().isFloating() || !(rank == 3 || (rank == 4 && in.shape()[1] == 1))
                || (in.shape()[rank - 2] > 0 && in.shape()[rank - 2] != lm.nMels())) {
            throw Explain4jException.shape("--front-end", "--front-end: the model's input '" + in.name() + "' is "
                    + in.describe() + "; a log-mel model takes (N, " + lm.nMels() + ", frames) or (N, 1, " + lm.nMels()
                    + ", frames)");
        }
        AudioClip clip = AudioClip.load(opts.audio, lm.sampleRate(), "--audio");
        int frames = lm.frames(clip.length());
        int declared = in.shape()[rank - 1];
        if (declared > 0 && declared != frames) {
            throw Explain4jException.shape("--audio", String.format(Locale.ROOT, "--audio %s gives %d frames of %d "
                    + "samples but the model takes %d frames: give a clip of %d to %d samples (%.3f s)",
                    opts.audio.getFileName(), frames, lm.hop(), declared, lm.samplesFor(declared),
                    lm.samplesFor(declared) + lm.hop() - 1, lm.samplesFor(declared) / (double) lm.sampleRate()));
        }
        double[][] s = lm.compute(clip.samples());
        double[] flat = new double[lm.nMels() * frames];
        for (int m = 0; m < lm.nMels(); m++) {
            System.arraycopy(s[m], 0, flat, m * frames, frames);
        }
        Tensor x = rank == 3 ? Tensor.ofDoublesAsFloats(flat, 1, lm.nMels(), frames)
                : Tensor.ofDoublesAsFloats(flat, 1, 1, lm.nMels(), frames);
        Map<String, Tensor> others = new LinkedHashMap<>(given);
        others.remove(in.name());
        return new AudioExplanation(loaded, clip, null, x, FedInputs.of(others), lm, s, List.copyOf(labels));
    }

    /** The log-mel input with every band at its median over the frames, shaped like the model's input (1, ...). */
    Tensor background() {
        int mels = logmel.length;
        int frames = logmel[0].length;
        double[] flat = new double[mels * frames];
        for (int m = 0; m < mels; m++) {
            double[] row = logmel[m].clone();
            java.util.Arrays.sort(row);
            double med = frames % 2 == 1 ? row[frames / 2] : (row[frames / 2 - 1] + row[frames / 2]) / 2;
            java.util.Arrays.fill(flat, m * frames, (m + 1) * frames, med);
        }
        return Tensor.ofDoublesAsFloats(flat, wave.shape());
    }

    /** The front end's log-mel spectrogram [mel][frame], or null when the model takes the waveform. */
    double[][] logmel() {
        return logmel;
    }

    /** The front end's hop, or 1 when the model takes the waveform. */
    int hop() {
        return mel == null ? 1 : mel.hop();
    }

    /** Class names from the features card (empty when none). */
    List<String> labels() {
        return labels;
    }

    /**
     * One value per sample of the clip: the values themselves for waveform models; for a log-mel
     * model each frame's sum over the mels, shared among the hop samples the frame is centred on.
     */
    double[] perSample(Attribution a) {
        double[] v = a.values().toDoubleArray();
        if (mel == null) {
            return v;
        }
        int frames = logmel[0].length;
        double[] perFrame = new double[frames];
        for (int i = 0; i < v.length; i++) {
            perFrame[i % frames] += v[i];
        }
        double[] out = new double[clip.length()];
        int hop = mel.hop();
        for (int t = 0; t < out.length; t++) {
            int f = Math.min(frames - 1, (t + hop / 2) / hop);
            out[t] = perFrame[f] / hop;
        }
        return out;
    }

    /** The attribution [mel][frame] of a log-mel model's result. */
    double[][] perCell(Attribution a) {
        int frames = logmel[0].length;
        double[] v = a.values().toDoubleArray();
        double[][] out = new double[logmel.length][frames];
        for (int i = 0; i < v.length; i++) {
            out[i / frames][i % frames] = v[i];
        }
        return out;
    }

    AudioClip clip() {
        return clip;
    }

    /** Whether the model is a streaming VAD (outputs = chunk probabilities). */
    boolean streaming() {
        return vad != null;
    }

    /** Samples per model call of a streaming VAD. */
    int chunk() {
        return vad == null ? clip.length() : vad.chunk();
    }

    /** The model's outputs for the clip: the chunks' speech probabilities, or the outputs of its one row. */
    double[] outputs() {
        return outputs.clone();
    }

    /** The default target: the mean over the chunks of a streaming VAD, else the predicted class. */
    Target defaultTarget() {
        if (vad != null) {
            double[] w = new double[outputs.length];
            java.util.Arrays.fill(w, 1.0 / outputs.length);
            return Target.weighting(w);
        }
        return Target.classIndex(Ranks.argmax(outputs));
    }

    /** A sentence saying what {@code t} explains. */
    String describe(Target t, java.util.function.IntFunction<String> label) {
        if (vad != null) {
            if (t instanceof Target.ClassIndex c) {
                return String.format(Locale.ROOT, "the speech probability of chunk %d (%.3f-%.3f s)", c.index(),
                        c.index() * vad.chunk() / (double) clip.rate(), (c.index() + 1) * vad.chunk() / (double) clip.rate());
            }
            double[] w = ((Target.Weighting) t).weights();
            boolean mean = java.util.Arrays.stream(w).allMatch(v -> Math.abs(v - 1.0 / w.length) < 1e-12);
            return mean ? "the mean speech probability over the clip's " + w.length + " chunks" : "a weighting of the chunks' "
                    + "speech probabilities";
        }
        return t instanceof Target.ClassIndex c ? label.apply(c.index()) : t.toString();
    }

    /** A target given on the command line ({@code --target}): a chunk index or class, or {@code weights:...}. */
    Target target(String text) {
        if (text == null) {
            return defaultTarget();
        }
        Target t = Parse.target(text);
        if (t instanceof Target.PerExample p) {
            if (p.indices().length != 1) {
                throw Explain4jException.target("--target", "--target gives " + p.indices().length + " indices but one clip "
                        + "is explained; give one " + (vad != null ? "chunk index" : "class"));
            }
            t = Target.classIndex(p.indices()[0]);
        }
        if (t instanceof Target.ClassIndex c && c.index() >= outputs.length) {
            throw Explain4jException.target("--target", "--target " + c.index() + " is out of range: the " + (vad != null
                    ? "clip has " + outputs.length + " chunks (0.." + (outputs.length - 1) + ")"
                    : "model has " + outputs.length + " outputs"));
        }
        if (t instanceof Target.Weighting w && w.weights().length != outputs.length) {
            throw Explain4jException.target("--target", "--target weights: gives " + w.weights().length + " weights for "
                    + outputs.length + (vad != null ? " chunks" : " outputs"));
        }
        return t;
    }

    /**
     * Runs {@code spec} with parameter texts {@code texts} (catalogue names; no window, stride or
     * feature mask: those come from {@code opts}' milliseconds) and returns one value per sample.
     */
    Attribution attribute(MethodSpec spec, Map<String, String> texts, AudioOptions opts, Target target,
                          ProgressListener progress) {
        if (spec.output() != Output.INPUT) {
            throw Explain4jException.unsupported("--method", "--method " + spec.name() + " gives a layer's values, which "
                    + "have no time axis to show; with --audio use an input-space method");
        }
        for (String k : new String[] {"window", "stride", "feature-mask"}) {
            if (texts.containsKey(k)) {
                throw Explain4jException.usage("--" + k, "--" + k + " counts samples; with --audio give time windows as "
                        + "--window-ms and --stride-ms");
            }
        }
        boolean windowed = spec.param("window").isPresent();
        boolean segments = spec.param("feature-mask").isPresent();
        if (opts.windowMs != null && !windowed && !segments) {
            throw Explain4jException.usage("--window-ms", "--window-ms does not apply to " + spec.name() + "; it applies to "
                    + "occlusion and the segment methods (feature-ablation, kernel-shap, lime, shapley-value-sampling, "
                    + "shapley-exact, feature-permutation)");
        }
        if (opts.strideMs != null && !windowed) {
            throw Explain4jException.usage("--stride-ms", "--stride-ms does not apply to " + spec.name() + "; it applies to "
                    + "occlusion (segments of the other methods tile the clip)");
        }
        int w = clip.length();
        int s = clip.length();
        Map<String, Object> audioOptions = new LinkedHashMap<>();
        if (windowed || segments) {
            double windowMs = opts.windowMs != null ? opts.windowMs : Math.min(1000.0 * clip.length() / clip.rate(),
                    windowed || spec.name().equals("feature-ablation") ? DEFAULT_WINDOW_MS : DEFAULT_SEGMENT_MS);
            if (!(windowMs > 0)) {
                throw Explain4jException.usage("--window-ms", "--window-ms must be positive (got " + windowMs + ")");
            }
            w = Math.min(clip.length(), clip.samplesFor(windowMs));
            if (opts.windowMs != null && clip.samplesFor(windowMs) > clip.length()) {
                throw Explain4jException.usage("--window-ms", String.format(Locale.ROOT, "--window-ms %s is longer than "
                        + "the clip (%.3f s)", fmt(windowMs), clip.seconds()));
            }
            double strideMs = opts.strideMs != null ? opts.strideMs : windowMs / 2;
            if (!(strideMs > 0)) {
                throw Explain4jException.usage("--stride-ms", "--stride-ms must be positive (got " + strideMs + ")");
            }
            s = clip.samplesFor(strideMs);
            if (windowed) {
                audioOptions.put("window-ms", windowMs);
                audioOptions.put("stride-ms", strideMs);
            } else {
                audioOptions.put("segment-ms", windowMs);
            }
        }
        boolean perturbation = spec.anyModel() && !spec.needs().contains(Need.BACKWARD_GRAPH);
        if (vad != null && !perturbation) {
            return stitched(spec, texts, target, progress, audioOptions);
        }
        Model m = vad != null ? vad.clipModel(clip.length()) : model;
        Tensor x = vad != null ? Tensor.ofFloats(clip.samples(), 1, clip.length()) : wave;
        boolean threeD = x.rank() == 3;
        Map<String, String> t = new LinkedHashMap<>(texts);
        if (mel != null) {
            return overTimeAndFrequency(spec, t, target, progress, audioOptions, windowed, segments, w, s);
        }
        if (windowed) {
            t.put("window", threeD ? "1," + w : String.valueOf(w));
            t.put("stride", threeD ? "1," + s : String.valueOf(s));
        }
        Map<String, Object> typed = MethodOptions.typed(spec, t, x);
        if (segments) {
            long[] ids = new long[clip.length()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i / w;
            }
            typed.put("feature-mask", FeatureMask.of(threeD ? Tensor.ofLongs(ids, 1, 1, ids.length)
                    : Tensor.ofLongs(ids, 1, ids.length)));
        }
        Params params = spec.bind(typed);
        Attribution a = spec.create(m, params, progress).attribute(x, vad != null ? FedInputs.none() : fed, target);
        if (vad != null) {
            audioOptions.put("audio", "whole clip, " + vad.chunks(clip.length()) + " chunks run in order with the state "
                    + "carried");
        }
        Map<String, Object> o = new LinkedHashMap<>(a.options());
        o.putAll(audioOptions);
        return new Attribution(a.method(), a.values().reshape(1, clip.length()), target, o, a.seed(), a.diagnostics(),
                a.provenance(), vad != null ? vad.names().audio() : a.input());
    }

    /**
     * A log-mel model: the methods run on the spectrogram; time windows of {@code w} samples
     * (stride {@code s}) become windows of whole frames over every mel band.
     */
    private Attribution overTimeAndFrequency(MethodSpec spec, Map<String, String> t, Target target,
                                             ProgressListener progress, Map<String, Object> audioOptions, boolean windowed,
                                             boolean segments, int w, int s) {
        int frames = logmel[0].length;
        int mels = logmel.length;
        int wf = Math.max(1, Math.min(frames, (int) Math.round(w / (double) mel.hop())));
        int sf = Math.max(1, (int) Math.round(s / (double) mel.hop()));
        String lead = wave.rank() == 4 ? "1," : "";
        if (windowed) {
            t.put("window", lead + mels + "," + wf);
            t.put("stride", lead + mels + "," + sf);
        }
        Map<String, Object> typed = MethodOptions.typed(spec, t, wave);
        if (spec.param("baseline").isPresent() && !t.containsKey("baseline")) {
            // the clip's background: each mel band at its median over the frames (digital silence,
            // log(offset), lies far outside what a model trained on recorded audio has seen)
            typed.put("baseline", org.explain4j.core.Baseline.of(background()));
            audioOptions.put("baseline", "background: each mel band's median over the clip's frames");
        }
        if (segments) {
            long[] ids = new long[mels * frames];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (i % frames) / wf;
            }
            int[] shape = wave.shape();
            shape[0] = 1;
            typed.put("feature-mask", FeatureMask.of(Tensor.ofLongs(ids, shape)));
        }
        Attribution a = spec.create(model, spec.bind(typed), progress).attribute(wave, fed, target);
        Map<String, Object> o = new LinkedHashMap<>(a.options());
        o.putAll(audioOptions);
        o.put("audio", "log-mel spectrogram, " + mels + " mels x " + frames + " frames of " + mel.hop() + " samples"
                + (windowed || segments ? "; windows of " + wf + " frames over every mel band" : ""));
        return new Attribution(a.method(), a.values(), target, o, a.seed(), a.diagnostics(), a.provenance(), a.input());
    }

    /** Gradient methods on a streaming VAD: each chunk's call differentiated with its state fed, added onto the clip. */
    private Attribution stitched(MethodSpec spec, Map<String, String> texts, Target target, ProgressListener progress,
                                 Map<String, Object> audioOptions) {
        int k = outputs.length;
        double[] weights = new double[k];
        if (target instanceof Target.ClassIndex c) {
            weights[c.index()] = 1;
        } else {
            double[] w = ((Target.Weighting) target).weights();
            System.arraycopy(w, 0, weights, 0, k);
        }
        int count = 0;
        for (double v : weights) {
            count += v != 0 ? 1 : 0;
        }
        int[] which = new int[count];
        double[] wv = new double[count];
        for (int i = 0, j = 0; i < k; i++) {
            if (weights[i] != 0) {
                which[j] = i;
                wv[j++] = weights[i];
            }
        }
        StreamingVad.Rows rows = vad.rows(clip.samples(), which, pass);
        Params params = spec.bind(MethodOptions.typed(spec, texts, rows.input()));
        Attribution a = spec.create(model, params, progress).attribute(rows.input(), rows.fed(), Target.classIndex(0));
        double[] values = vad.stitch(a.values(), which, wv, clip.length());
        Optional<double[]> gap = a.diagnostics().completenessGap().map(g -> {
            double sum = 0;
            for (int i = 0; i < g.length; i++) {
                sum += wv[i] * g[i];
            }
            return new double[] {sum};
        });
        Diagnostics d = new Diagnostics(a.diagnostics().modelEvaluations(), a.diagnostics().elapsed(), gap,
                a.diagnostics().surrogateFit());
        Map<String, Object> o = new LinkedHashMap<>(a.options());
        o.putAll(audioOptions);
        o.put("audio", which.length + " chunk call(s) of " + vad.context() + " + " + vad.chunk() + " samples, each with "
                + "the state of the unchanged clip fed (not differentiated), added onto the clip");
        return new Attribution(a.method(), Tensor.ofDoublesAsFloats(values, 1, clip.length()), target, o, a.seed(), d,
                a.provenance(), vad.names().audio());
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    @Override
    public void close() {
        if (vad != null) {
            vad.close();
            model.close();
        }
    }
}
