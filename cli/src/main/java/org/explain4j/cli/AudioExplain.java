package org.explain4j.cli;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.explain4j.cli.audio.AudioClip;
import org.explain4j.cli.audio.AudioOptions;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Need;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.io.Npy;
import org.explain4j.core.io.Wav;
import org.explain4j.viz.Figure;
import org.explain4j.viz.HtmlReport;
import org.explain4j.viz.MethodSection;
import org.explain4j.viz.Pictures;
import org.explain4j.viz.Prediction;
import org.explain4j.viz.TopPredictions;
import org.explain4j.viz.audio.AudioPictures;

/**
 * {@code explain --audio} and {@code attribute --audio}: a waveform explained over time. The report
 * shows the waveform with each method's attribution as a coloured band (and a streaming VAD's
 * speech probability per chunk), the spectrogram with the attribution overlaid, the attribution
 * summed per segment, and lets the reader play the clip and its most relevant segments.
 */
final class AudioExplain {
    /** The methods {@code explain --audio} runs by default. */
    static final List<String> DEFAULT_METHODS = List.of("saliency", "input-x-gradient", "integrated-gradients", "deeplift",
            "occlusion", "feature-ablation", "kernel-shap");
    /** Segment length of the bars and the playable segments. */
    static final double SEGMENT_MS = 250;
    private static final int PLAYED = 3;

    private AudioExplain() {
    }

    /** {@code explain --audio}: runs the methods and writes the report; returns its path. */
    static Path explain(ExplainCommand c, AudioOptions opts, PrintWriter log) throws java.io.IOException {
        String[][] imageOnly = {{"--resize", c.resize}, {"--mean", c.mean}, {"--std", c.std}, {"--channels", c.channels},
                {"--card", c.card == null ? null : c.card.toString()}, {"--vocab", c.vocab == null ? null : c.vocab.toString()},
                {"--layer", c.layer}, {"--overlay", c.overlay ? "" : null}, {"--shared-scale", c.sharedScale ? "" : null},
                {"--evaluate", c.evaluate ? "" : null}, {"--heatmap", "signed".equals(c.heatmap) ? null : c.heatmap}};
        for (String[] f : imageOnly) {
            if (f[1] != null) {
                throw Explain4jException.usage(f[0], f[0] + " does not apply to --audio (it is for images, token ids or "
                        + "the metrics); leave it out");
            }
        }
        NamedInputs named = NamedInputs.parse(c.inputs == null ? List.of() : c.inputs,
                c.explain == null ? List.of() : List.of(c.explain), c.batchAxes);
        try (ModelLoader.Loaded m = load(c.model, c.threads, named.firstExplained(), null);
             AudioExplanation ax = AudioExplanation.open(m, opts, given(named, m))) {
            AudioClip clip = ax.clip();
            ExplainChecks.outFolder(c.out); // a file, or a folder that cannot be made or written: one line naming --out
            List<String> labels;
            try {
                labels = c.labels != null ? Files.readAllLines(c.labels).stream().map(String::trim)
                        .filter(s -> !s.isEmpty()).toList() : ax.labels();
            } catch (java.io.IOException e) {
                throw Explain4jException.file("--labels", "--labels " + c.labels + " cannot be read: " + e.getMessage());
            }
            Target target = ax.target(c.target);
            String explained = ax.describe(target, i -> i < labels.size() ? labels.get(i) : "class " + i);
            List<String> chosen = c.methods != null ? List.of(c.methods.split(",")) : DEFAULT_METHODS;
            double[] out = ax.outputs();
            double[] chunkLine = ax.streaming() ? out : null;
            HtmlReport.Builder report = HtmlReport.builder("explain4j report: " + c.model.getFileName() + " on "
                    + opts.audio.getFileName())
                    .model(m.info().name(), m.info().sha256())
                    .inputSummary(clip.description() + "; " + clip.length() + " samples at " + clip.rate() + " Hz"
                            + (ax.streaming() ? String.format(Locale.ROOT, ", run as %d chunks of %d samples (%.0f ms) with "
                            + "the model's state carried from chunk to chunk", out.length, ax.chunk(),
                            1000.0 * ax.chunk() / clip.rate()) : "") + ". Explained: " + explained + ".");
            report.addPredictions(predictions(ax, out, labels));
            BufferedImage overview = AudioPictures.stack(List.of(
                    AudioPictures.waveform(clip.samples(), clip.rate(), null, chunkLine, ax.chunk(), "input waveform"
                            + (ax.streaming() ? " and the model's speech probability per chunk" : ""), "P(speech)"),
                    ax.logmel() != null ? AudioPictures.melAttribution(ax.logmel(), new double[ax.logmel().length]
                            [ax.logmel()[0].length], clip.seconds(), "the model's input: log-mel spectrogram")
                            : AudioPictures.spectrogram(clip.samples(), clip.rate(), null, "spectrogram")));
            Pictures.writePng(overview, c.out.resolve("input.png"));
            report.overview(new Figure.Audio(List.of(Figure.of(overview, "the input: waveform"
                    + (ax.streaming() ? ", speech probability of each chunk (green; dashed line at 0.5)" : "")
                    + " and spectrogram")), List.of(new Figure.Sound("the whole clip (" + String.format(Locale.ROOT,
                    "%.2f s", clip.seconds()) + ")", Wav.encodePcm16(clip.samples(), clip.rate())))));
            log.printf("%-28s %12s %10s %12s%n", "method", "model evals", "ms", "max |gap|");
            for (String name : chosen) {
                MethodSpec spec = MethodCatalog.find(name.trim()).orElseThrow(() -> Explain4jException.usage("--methods",
                        "unknown method '" + name.trim() + "'; choose from " + String.join(", ", MethodCatalog.names())));
                Map<String, String> texts = params(spec, clip, c.batchSize);
                Attribution a;
                try {
                    a = ax.attribute(spec, texts, opts, target, c.quiet ? ProgressListener.NONE : new ConsoleProgress(5_000));
                } catch (Explain4jException e) {
                    log.printf("%-28s skipped: %s%n", spec.name(), Main.oneLine(e.getMessage()));
                    continue;
                }
                Path npy = c.out.resolve(spec.name() + ".npy");
                Npy.write(a.values(), npy);
                AttributionJson.write(a, c.out.resolve(spec.name() + ".json"));
                Figure.Audio fig = figure(spec.name(), spec.anyModel(), a, ax, chunkLine);
                Pictures.writePng(((Figure.Raster) fig.pictures().get(0)).image(), c.out.resolve(spec.name() + ".png"));
                List<String> cmd = new ArrayList<>(List.of("explain4j", "attribute", "--model", c.model.toString(),
                        "--audio", opts.audio.toString()));
                cmd.addAll(commonArgs(named, opts, c.target));
                cmd.addAll(List.of("--method", spec.name(), "--output", npy.toString()));
                cmd.addAll(MethodOptions.args(texts));
                a.options().forEach((k, v) -> {
                    if (k.equals("window-ms") || k.equals("stride-ms") || k.equals("segment-ms")) {
                        cmd.add(k.equals("segment-ms") ? "--window-ms" : "--" + k);
                        cmd.add(String.valueOf(v));
                    }
                });
                report.addSection(new MethodSection(spec.name(), spec.description() + " " + how(ax, spec), fig, a,
                        Shell.join(cmd)));
                log.printf("%-28s %12d %10.1f %12s%n", spec.name(), a.diagnostics().modelEvaluations(),
                        a.diagnostics().elapsed().toNanos() / 1e6, a.diagnostics().completenessGap()
                                .map(g -> String.format(Locale.ROOT, "%.2e", Math.abs(g[0]))).orElse("-"));
            }
            Path html = c.out.resolve("report.html");
            report.build().write(html);
            return html;
        }
    }

    /** {@code attribute --audio}: one method's values (1, T) as .npy or JSON. */
    static Path attribute(AttributeCommand c, AudioOptions opts, Map<String, String> texts, String format) {
        NamedInputs named = NamedInputs.parse(c.inputs == null ? List.of() : c.inputs, c.explain, c.batchAxes);
        AttributeCommand.refuseOverwriting(c.output, "--audio", opts.audio);
        AttributeCommand.refuseOverwriting(c.output, "--model", c.model);
        MethodSpec spec = MethodCatalog.get(c.method);
        try (ModelLoader.Loaded m = load(c.model, c.threads, named.firstExplained(), c.outputName);
             AudioExplanation ax = AudioExplanation.open(m, opts, given(named, m))) {
            Attribution a = ax.attribute(spec, texts, opts, ax.target(c.target),
                    c.quiet ? ProgressListener.NONE : new ConsoleProgress(2_000));
            if (format.equals("json")) {
                AttributionJson.write(a, c.output);
            } else {
                Npy.write(a.values(), c.output);
            }
            return c.output;
        }
    }

    /**
     * Loads the model explaining {@code explain}, or when none is named and the model has several
     * floating inputs (a streaming VAD's waveform and state), its only floating input of rank 2: the
     * waveform (N, T).
     */
    static ModelLoader.Loaded load(Path model, int threads, String explain, String outputName) {
        try {
            return ModelLoader.load(model, threads, explain, outputName);
        } catch (Explain4jException e) {
            if (explain != null || !"--explain".equals(e.argument())) {
                throw e;
            }
            String wave = null;
            try {
                var graph = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model)).getGraph();
                java.util.Set<String> inits = new java.util.HashSet<>();
                graph.getInitializerList().forEach(t -> inits.add(t.getName()));
                for (var in : graph.getInputList()) {
                    var tt = in.getType().getTensorType();
                    boolean floating = tt.getElemType() == 1 || tt.getElemType() == 11;
                    if (!inits.contains(in.getName()) && floating && tt.getShape().getDimCount() == 2) {
                        if (wave != null) {
                            throw e;
                        }
                        wave = in.getName();
                    }
                }
            } catch (java.io.IOException io) {
                throw e;
            }
            if (wave == null) {
                throw e;
            }
            return ModelLoader.load(model, threads, wave, outputName);
        }
    }

    /** The model's other inputs given as {@code --input NAME=FILE}. */
    private static Map<String, Tensor> given(NamedInputs named, ModelLoader.Loaded m) {
        if (named.files().containsKey(NamedInputs.UNNAMED)) {
            throw Explain4jException.usage("--input", "--input without a name cannot be used with --audio: the waveform is "
                    + "the --audio file; give the model's other inputs as --input NAME=FILE");
        }
        return named.files().isEmpty() ? Map.of() : named.read(m.signature(), "", false);
    }

    /** The flags that repeat how the clip and the model's other inputs were given. */
    private static List<String> commonArgs(NamedInputs named, AudioOptions opts, String target) {
        List<String> out = new ArrayList<>();
        if (opts.sampleRate != null) {
            out.add("--sample-rate");
            out.add(String.valueOf(opts.sampleRate));
        }
        if (opts.features != null) {
            out.add("--front-end");
            out.add(opts.features.toString());
        }
        named.files().forEach((k, v) -> {
            out.add("--input");
            out.add(k + "=" + v);
        });
        if (target != null) {
            out.add("--target");
            out.add(target);
        }
        return out;
    }

    /** Parameter texts for {@code spec} on a clip: the catalogue's suggestions ({@code %} of the clip's range). */
    static Map<String, String> params(MethodSpec spec, AudioClip clip, String batchSize) {
        Map<String, String> a = new LinkedHashMap<>();
        double lo = 0;
        double hi = 0;
        for (float v : clip.samples()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double range = hi > lo ? hi - lo : 1;
        for (ParamSpec p : spec.params()) {
            String s = spec.suggested().get(p.name());
            switch (p.name()) {
                case "batch-size" -> a.put(p.name(), batchSize);
                case "layer", "window", "stride", "feature-mask", "baseline" -> {
                    // layers have no time axis; windows and segments come from --window-ms; the baseline stays silence
                }
                default -> {
                    if (s != null) {
                        a.put(p.name(), s.endsWith("%") ? String.format(Locale.ROOT, "%.4g",
                                Double.parseDouble(s.substring(0, s.length() - 1)) / 100 * range) : s);
                    }
                }
            }
        }
        if (spec.needs().contains(Need.BASELINE_DISTRIBUTION)) {
            a.put("baseline", "0");
        }
        return a;
    }

    /** The method's pictures and its most relevant segments to play. */
    static Figure.Audio figure(String name, boolean perturbation, Attribution a, AudioExplanation ax, double[] chunkLine) {
        AudioClip clip = ax.clip();
        double[] v = ax.perSample(a);
        int seg = clip.samplesFor(SEGMENT_MS);
        BufferedImage pic = AudioPictures.stack(List.of(
                AudioPictures.waveform(clip.samples(), clip.rate(), v, chunkLine, ax.chunk(), name + ": attribution over time"
                        + (ax.logmel() != null ? " (summed over the mel bands)" : ""), "P(speech)"),
                ax.logmel() != null
                        ? AudioPictures.melAttribution(ax.logmel(), ax.perCell(a), clip.seconds(), name
                        + ": the model's log-mel input with the attribution over time and frequency")
                        : AudioPictures.spectrogram(clip.samples(), clip.rate(), v, name + ": spectrogram with the attribution")));
        List<Figure> pictures = List.of(Figure.of(pic, name + ": the waveform with the attribution as a band (red raises "
                        + "the explained output, blue lowers it) and the spectrogram with it overlaid"),
                Figure.of(AudioPictures.segmentBars(v, clip.rate(), seg, 12, perturbation, name + ": attribution per "
                        + (int) SEGMENT_MS + " ms segment (largest 12 by size)"), name + " per segment"));
        double[] sums = AudioPictures.segmentSums(v, seg);
        List<String> labels = AudioPictures.segmentLabels(clip.length(), seg, clip.rate());
        List<Figure.Sound> sounds = new ArrayList<>();
        int rank = 0;
        for (int s : AudioPictures.topSegments(v, seg, PLAYED)) {
            if (!(sums[s] > 0)) {
                break;
            }
            int from = s * seg;
            int to = Math.min(clip.length(), from + seg);
            float[] part = java.util.Arrays.copyOfRange(clip.samples(), from, to);
            sounds.add(new Figure.Sound(String.format(Locale.ROOT, "most relevant segment #%d: %s (attribution %+.3g)",
                    ++rank, labels.get(s), sums[s]), Wav.encodePcm16(part, clip.rate())));
        }
        return new Figure.Audio(pictures, sounds);
    }

    private static String how(AudioExplanation ax, MethodSpec spec) {
        if (!ax.streaming()) {
            return "";
        }
        return spec.anyModel()
                ? "Here: the whole clip is run chunk by chunk with the state carried, so hiding a stretch also changes what "
                + "the model remembers afterwards."
                : "Here: each chunk's model call is differentiated with the state it had on the unchanged clip fed as given "
                + "(not differentiated), and the chunks' attributions are added onto the clip's time axis; influence carried "
                + "only through the recurrent state is not included.";
    }

    private static TopPredictions predictions(AudioExplanation ax, double[] out, List<String> labels) {
        if (ax.streaming()) {
            double mean = java.util.Arrays.stream(out).average().orElse(0);
            int best = Ranks.argmax(out);
            long above = java.util.Arrays.stream(out).filter(p -> p > 0.5).count();
            AudioClip clip = ax.clip();
            return new TopPredictions("clip", List.of(
                    new Prediction("mean speech probability", clamp(mean)),
                    new Prediction(String.format(Locale.ROOT, "highest chunk (#%d, %.2f s)", best,
                            best * ax.chunk() / (double) clip.rate()), clamp(out[best])),
                    new Prediction(String.format(Locale.ROOT, "share of chunks above 0.5 (%d of %d)", above, out.length),
                            above / (double) out.length)));
        }
        double[][] p = Explainer.probabilities(Tensor.ofDoubles(out, 1, out.length));
        List<Prediction> top = new ArrayList<>();
        for (int c : Ranks.top(p[0], 3)) {
            top.add(new Prediction(c < labels.size() ? labels.get(c) : "class " + c, p[0][c]));
        }
        return new TopPredictions("clip", top);
    }

    private static double clamp(double p) {
        return Math.max(0, Math.min(1, p));
    }
}
