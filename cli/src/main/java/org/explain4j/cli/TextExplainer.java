package org.explain4j.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.cli.text.AttentionRollout;
import org.explain4j.cli.text.DeletionModel;
import org.explain4j.cli.text.TextArgs;
import org.explain4j.cli.text.TextFigures;
import org.explain4j.cli.text.TextJson;
import org.explain4j.cli.text.TextResult;
import org.explain4j.cli.text.TextSide;
import org.explain4j.cli.text.TextMethods;
import org.explain4j.cli.text.TextTokenizer;
import org.explain4j.cli.text.TokenBatch;
import org.explain4j.cli.text.TokenInputs;
import org.explain4j.cli.text.TokenizedText;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Diagnostics;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Provenance;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.Family;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Need;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.Model;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.text.TextGraphs;
import org.explain4j.viz.Figure;
import org.explain4j.viz.HtmlReport;
import org.explain4j.viz.MethodSection;
import org.explain4j.viz.Pictures;
import org.explain4j.viz.Prediction;
import org.explain4j.viz.TopPredictions;
import org.explain4j.viz.text.TokenMatrixPicture;

/**
 * {@code explain --tokenizer tokenizer.json --text ...}: raw text through a Hugging Face tokenizer
 * into a token model (a classifier, or an embedding model with {@code --similar-to}), explained
 * per token and per word by the gradient methods at the word-embedding output (summed over the
 * hidden size), LRP, and the perturbation methods over words or tokens; attention rollout; a
 * report, highlighted text (HTML and PNG) and {@code text.json} with offsets into the texts.
 */
final class TextExplainer {
    /** Methods run when {@code --methods} is not given. */
    static final List<String> DEFAULT_METHODS = List.of("layer-integrated-gradients", "layer-gradient-x-activation",
            "deeplift", "lrp", "kernel-shap", "lime", "feature-ablation");


    private final TextArgs args;
    private final Path modelPath;
    private final Path out;
    private final boolean quiet;
    private final int threads;
    private final List<String> labels;
    private final String batchSize;

    TextExplainer(TextArgs args, Path modelPath, Path out, boolean quiet, int threads, List<String> labels,
                  String batchSize) {
        this.args = args;
        this.modelPath = modelPath;
        this.out = out;
        this.quiet = quiet;
        this.threads = threads;
        this.labels = labels;
        this.batchSize = batchSize;
    }

    /** The texts of --text and --text-file, in that order. */
    List<String> texts() {
        List<String> t = new ArrayList<>(args.texts);
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i).isBlank()) {
                throw Explain4jException.usage("--text", "--text number " + (i + 1) + " is empty; give a text with at least "
                        + "one word (the service refuses an empty text too)");
            }
        }
        if (args.similarTo != null && args.similarTo.isBlank()) {
            throw Explain4jException.usage("--similar-to", "--similar-to is empty; give a text with at least one word");
        }
        if (args.textFile != null) {
            try {
                for (String line : Files.readAllLines(args.textFile, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        t.add(line);
                    }
                }
            } catch (IOException e) {
                throw Explain4jException.file("--text-file", "--text-file " + args.textFile + " cannot be read as UTF-8: "
                        + Main.oneLine(e.getMessage()));
            }
        }
        if (t.isEmpty()) {
            throw Explain4jException.usage("--text", "--tokenizer needs texts to explain: give --text \"...\" or "
                    + "--text-file FILE (one example a line)");
        }
        return t;
    }

    /**
     * Runs the methods and writes the report; {@code layer} (may be null: the word-embedding output)
     * is the tensor the layer, DeepLIFT and LRP methods attribute to, {@code pooling} the card's.
     */
    Path run(String methods, String target, String layer, String pooling, PrintWriter log) {
        if (target != null && args.similarTo != null) {
            throw Explain4jException.usage("--target", "--target does not apply with --similar-to: the output explained is "
                    + "the cosine similarity of each text to the --similar-to text; leave --target out");
        }
        if (args.tokenizer == null) {
            throw Explain4jException.usage("--tokenizer", "--text needs --tokenizer tokenizer.json (the model's Hugging "
                    + "Face tokenizer)");
        }
        List<String> texts = texts();
        String features = args.features.toLowerCase(Locale.ROOT);
        if (!features.equals("words") && !features.equals("tokens")) {
            throw Explain4jException.usage("--features", "--features '" + args.features + "' must be words or tokens");
        }
        List<String> chosen = methods == null ? DEFAULT_METHODS
                : List.of(methods.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String m : chosen) {
            MethodSpec spec = MethodCatalog.find(m).orElseThrow(() -> Explain4jException.usage("--methods",
                    "unknown method '" + m + "'; choose from " + String.join(", ", MethodCatalog.names())));
            if (!supported(spec)) {
                throw Explain4jException.usage("--methods", "--methods " + m + " does not apply to text; choose from "
                        + String.join(", ", supportedNames()));
            }
        }
        byte[] bytes = OnnxModel.readModel(modelPath);
        ModelProto proto = TextGraphs.parse(bytes);
        try (TextTokenizer tok = TextTokenizer.open(args.tokenizer, args.maxLength)) {
            TokenInputs in = TokenInputs.of(proto);
            String embedding = layer != null ? layer : TextGraphs.wordEmbedding(proto, in.ids()).orElseThrow(() ->
                    Explain4jException.unsupported("--model", "no word-embedding lookup (a Gather of an initializer by '"
                            + in.ids() + "') in the model; give the layer to attribute to with --layer NAME"));
            long pad = TextMethods.padId(tok);
            OptionalLong maskId = TextMethods.maskId(tok);
            String baselineKind = args.tokenBaseline != null ? args.tokenBaseline.toLowerCase(Locale.ROOT)
                    : maskId.isPresent() ? "mask" : "pad";
            if (!List.of("mask", "pad", "delete").contains(baselineKind)) {
                throw Explain4jException.usage("--token-baseline", "--token-baseline '" + args.tokenBaseline
                        + "' must be mask, pad or delete");
            }
            if (baselineKind.equals("mask") && maskId.isEmpty()) {
                throw Explain4jException.usage("--token-baseline", "the tokenizer has no [MASK] or <mask> token; use "
                        + "--token-baseline pad or delete");
            }
            List<TokenizedText> a = texts.stream().map(tok::encode).toList();
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i).truncated()) {
                    log.println("note: text " + i + " was truncated to --max-length " + args.maxLength + " tokens");
                }
            }
            boolean embeddingModel = outputRank(proto) == 3;
            if (embeddingModel && args.similarTo == null) {
                throw Explain4jException.usage("--similar-to", "the model outputs token vectors (" + proto.getGraph()
                        .getOutput(0).getName() + ", rank 3), not classes; give --similar-to \"TEXT\" to explain the "
                        + "similarity of each text to it");
            }
            if (!embeddingModel && args.similarTo != null) {
                throw Explain4jException.usage("--similar-to", "--similar-to needs an embedding model (output of shape "
                        + "(N, T, D)); this model outputs classes: leave --similar-to out");
            }
            ExplainChecks.outFolder(out); // a file, or a folder that cannot be made or written: one line naming --out
            Session s = new Session(tok, in, embedding, layer != null, pad, maskId, baselineKind, features, chosen, log);
            return embeddingModel ? s.similarity(bytes, proto, a, tok.encode(args.similarTo), poolingOf(pooling))
                    : s.classifier(bytes, proto, a, target);
        }
    }

    private String poolingOf(String fromCard) {
        String p = args.pooling != null ? args.pooling : fromCard != null ? fromCard : "mean";
        p = p.toLowerCase(Locale.ROOT);
        if (!p.equals("mean") && !p.equals("cls")) {
            throw Explain4jException.usage("--pooling", "--pooling '" + p + "' must be mean or cls");
        }
        return p;
    }

    static boolean supported(MethodSpec spec) {
        return TextMethods.supported(spec);
    }

    static List<String> supportedNames() {
        return TextMethods.supportedNames();
    }

    private static int outputRank(ModelProto proto) {
        ValueInfoProto o = proto.getGraph().getOutput(0);
        return o.getType().getTensorType().getShape().getDimCount();
    }

    /** One run: the tokenizer, the inputs, the choices; holds the report as it is built. */
    private final class Session {
        private final TextTokenizer tok;
        private final TokenInputs in;
        private final String embedding;
        private final boolean layerGiven;
        private final long pad;
        private final OptionalLong maskId;
        private final String baselineKind;
        private final String features;
        private final List<String> methods;
        private final PrintWriter log;
        private double[] outputValues = new double[0];

        Session(TextTokenizer tok, TokenInputs in, String embedding, boolean layerGiven, long pad, OptionalLong maskId,
                String baselineKind, String features, List<String> methods, PrintWriter log) {
            this.tok = tok;
            this.in = in;
            this.embedding = embedding;
            this.layerGiven = layerGiven;
            this.pad = pad;
            this.maskId = maskId;
            this.baselineKind = baselineKind;
            this.features = features;
            this.methods = methods;
            this.log = log;
        }

        Path classifier(byte[] bytes, ModelProto proto, List<TokenizedText> texts, String target) {
            TokenBatch b = TokenBatch.of(texts, pad);
            try (ModelLoader.Loaded m = ModelLoader.load(modelPath, threads, in.ids(), null)) {
                FedInputs fed = FedInputs.of(b.fed(in));
                Tensor logits = Explainer.forward(m, b.ids(), fed);
                int[] targets;
                if (target != null) {
                    targets = Targets.parse(target, texts.size(), "text", logits.dim(1));
                } else {
                    targets = Ranks.argmax(logits);
                }
                double[][] probs = Explainer.probabilities(logits);
                List<TopPredictions> preds = new ArrayList<>();
                List<String> outputs = new ArrayList<>();
                outputValues = new double[texts.size()];
                for (int n = 0; n < texts.size(); n++) {
                    outputValues[n] = logits.getDouble(n * logits.dim(1) + targets[n]);
                    preds.add(new TopPredictions("#" + n, top(probs[n], 3)));
                    outputs.add(String.format(Locale.ROOT, "%s (logit %.4g, p=%.3f)", label(targets[n]),
                            logits.getDouble(n * logits.dim(1) + targets[n]), probs[n][targets[n]]));
                }
                TextSide a = new TextSide("text", texts, b.ids(), fed, m, "");
                return explain(List.of(a), b, Target.of(targets), preds, outputs, proto, bytes,
                        "target: " + (target == null ? "the predicted class of each text" : "class " + target), null);
            }
        }

        Path similarity(byte[] bytes, ModelProto proto, List<TokenizedText> texts, TokenizedText other, String pooling) {
            String hidden = proto.getGraph().getOutput(0).getName();
            byte[] embedBytes = TextGraphs.withEmbeddingHead(proto, hidden, in.mask(), pooling);
            byte[] simBytes = TextGraphs.withSimilarityHead(proto, hidden, in.mask(), pooling);
            TokenBatch ba = TokenBatch.of(texts, pad);
            TokenBatch bb = TokenBatch.of(List.of(other), pad);
            OnnxModel.Options o = OnnxModel.Options.defaults().withThreads(threads).withInputName(in.ids());
            float[][] ea;
            float[][] eb;
            try (OnnxModel embed = OnnxModel.fromBytes(modelPath.toString(), embedBytes, o)) {
                ea = rows(embed.forward(ba.ids(), ba.fed(in)));
                eb = rows(embed.forward(bb.ids(), bb.fed(in)));
            }
            int n = texts.size();
            try (ModelLoader.Loaded sim = new ModelLoader.Loaded(OnnxModel.fromBytes(modelPath.toString(), simBytes, o))) {
                Map<String, Tensor> fa = ba.fed(in);
                fa.put(TextGraphs.REFERENCE, unitRows(repeat(eb[0], n)));
                TokenBatch bRep = bb.repeat(n);
                Map<String, Tensor> fb = bRep.fed(in);
                fb.put(TextGraphs.REFERENCE, unitRows(ea));
                TextSide a = new TextSide("A", texts, ba.ids(), FedInputs.of(fa), sim, "A");
                List<TokenizedText> bs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    bs.add(other);
                }
                TextSide bside = new TextSide("B", bs, bRep.ids(), FedInputs.of(fb), sim, "B");
                Tensor cos = Explainer.forward(sim, ba.ids(), FedInputs.of(fa));
                List<TopPredictions> preds = new ArrayList<>();
                List<String> outputs = new ArrayList<>();
                outputValues = new double[n];
                for (int i = 0; i < n; i++) {
                    double c = cos.getDouble(i);
                    outputValues[i] = c;
                    outputs.add(String.format(Locale.ROOT, "cosine similarity %.4f", c));
                }
                return explain(List.of(a, bside), ba, Target.of(0), preds, outputs, proto, bytes,
                        "target: cosine similarity of the " + pooling + "-pooled embeddings of text A and text B (\""
                                + other.text() + "\")", other);
            }
        }

        private Path explain(List<TextSide> sides, TokenBatch bA, Target target, List<TopPredictions> preds, List<String> outputs,
                             ModelProto proto, byte[] bytes, String targetLine, TokenizedText other) {
            List<TextResult> results = new ArrayList<>();
            log.printf("%-28s %4s %12s %10s %12s%n", "method", "side", "model evals", "ms", "max |gap|");
            for (String name : methods) {
                MethodSpec spec = MethodCatalog.get(name);
                Map<String, List<double[]>> tokens = new LinkedHashMap<>();
                Map<String, List<double[]>> words = new LinkedHashMap<>();
                Attribution first = null;
                try {
                    for (TextSide s : sides) {
                        Attribution at = runOne(spec, s, target);
                        first = first == null ? at : first;
                        String key = s.tag();
                        writeValues(name, key, at);
                        List<double[]> perToken = perToken(spec, at, s);
                        tokens.put(key, perToken);
                        List<double[]> perWord = new ArrayList<>();
                        for (int n = 0; n < s.texts().size(); n++) {
                            perWord.add(TextFigures.wordValues(s.texts().get(n), perToken.get(n)));
                        }
                        words.put(key, perWord);
                        log.printf("%-28s %4s %12d %10.1f %12s%n", name, key.isEmpty() ? "-" : key,
                                at.diagnostics().modelEvaluations(), at.diagnostics().elapsed().toNanos() / 1e6,
                                at.diagnostics().completenessGap().map(TextExplainer::maxAbs).orElse("-"));
                    }
                } catch (Explain4jException e) {
                    log.printf("%-28s skipped: %s%n", name, Main.oneLine(e.getMessage()));
                    continue;
                }
                results.add(new TextResult(name, first, tokens, words));
            }
            Map<String, List<AttentionRollout.Result>> rollouts = rollouts(bytes, proto, sides);
            Map<String, String> header = new LinkedHashMap<>();
            header.put("model", modelPath.toString());
            header.put("tokenizer", args.tokenizer.toString());
            header.put("target", targetLine);
            header.put("perturbation_baseline", baselineKind);
            header.put("perturbation_features", features);
            TextJson.write(out.resolve("text.json"), header, sides, results, rollouts, outputs, outputValues);
            return report(sides, results, rollouts, preds, targetLine, other);
        }

        private Attribution runOne(MethodSpec spec, TextSide s, Target target) {
            Map<String, String> p = new LinkedHashMap<>();
            String prefix = spec.name() + (s.tag().isEmpty() ? "" : "." + s.tag());
            boolean perturbation = spec.family() == Family.PERTURBATION;
            Model model = s.model();
            Map<String, String> defaults = TextMethods.defaults(spec, embedding);
            for (String k : List.of("layer", "steps", "composite")) { // the order the options are recorded in
                if (defaults.containsKey(k)) {
                    p.put(k, defaults.get(k));
                }
            }
            // the baseline and the feature groups are passed as they are; the .npy copies are outputs
            // (what a rerun with attribute --baseline / --feature-mask reads), not read back here
            Map<String, Object> objects = new LinkedHashMap<>();
            if (spec.param("baseline").isPresent()) {
                Tensor b = perturbation ? perturbationBaseline(s) : padBaseline(s);
                Npy.write(b, out.resolve(prefix + ".baseline.npy"));
                // as --baseline FILE.npy binds a tensor of the ids' shape
                objects.put("baseline", spec.needs().contains(Need.BASELINE_DISTRIBUTION)
                        ? Baseline.distribution(b) : Baseline.of(b));
                p.put("baseline", "");
            }
            if (spec.param("feature-mask").isPresent()) {
                Tensor f = featureMask(s);
                Npy.write(f, out.resolve(prefix + ".features.npy"));
                objects.put("feature-mask", FeatureMask.of(f));
                p.put("feature-mask", "");
            }
            p.putAll(defaults); // samples and seed; the keys above keep their places
            if (spec.param("batch-size").isPresent()) {
                p.put("batch-size", batchSize);
            }
            if (perturbation && baselineKind.equals("delete")) {
                model = new DeletionModel(s.model(), in.mask(), in.types(), pad);
            }
            Map<String, String> texts = new LinkedHashMap<>(p);
            texts.keySet().removeAll(objects.keySet());
            Map<String, Object> parsed = MethodOptions.typed(spec, texts, s.ids());
            Map<String, Object> typed = new LinkedHashMap<>();
            for (String k : p.keySet()) { // in the recorded order
                if (objects.containsKey(k)) {
                    typed.put(k, objects.get(k));
                } else if (parsed.containsKey(k)) {
                    typed.put(k, parsed.get(k));
                }
            }
            Params params = spec.bind(typed);
            AttributionMethod method = spec.create(model, params, quiet ? ProgressListener.NONE : new ConsoleProgress(5_000));
            return method.attribute(s.ids(), s.fed(), target);
        }

        /** Ids with every non-special token replaced by the pad id: the reference of the gradient methods. */
        private Tensor padBaseline(TextSide s) {
            return TextMethods.replaced(s.ids(), s.texts(), pad);
        }

        private Tensor perturbationBaseline(TextSide s) {
            return TextMethods.replaced(s.ids(), s.texts(), TextMethods.perturbationId(baselineKind, pad, maskId));
        }

        /** Feature groups per example (see {@link TextMethods#featureMask}). */
        private Tensor featureMask(TextSide s) {
            return TextMethods.featureMask(s.ids(), s.texts(), features);
        }

        /** Per-token values of each example (see {@link TextMethods#perToken}). */
        private List<double[]> perToken(MethodSpec spec, Attribution a, TextSide s) {
            return TextMethods.perToken(a, s.texts(), spec.family() == Family.PERTURBATION ? featureMask(s) : null);
        }

        private void writeValues(String name, String tag, Attribution a) {
            String base = name + (tag.isEmpty() ? "" : "." + tag);
            Npy.write(a.values(), out.resolve(base + ".npy"));
            AttributionJson.write(a, out.resolve(base + ".json"));
        }

        /** Per layer, the Softmax outputs of each side's texts, rolled out. */
        private Map<String, List<AttentionRollout.Result>> rollouts(byte[] bytes, ModelProto proto, List<TextSide> sides) {
            Map<String, List<AttentionRollout.Result>> r = new LinkedHashMap<>();
            List<String> soft = TextGraphs.softmaxOutputs(proto);
            if (soft.isEmpty()) {
                return r;
            }
            byte[] withSoft = TextGraphs.withOutputs(proto, soft);
            try (OrtSession session = OnnxModel.createSession(OnnxModel.environment(), withSoft,
                    OnnxModel.Options.defaults().withThreads(threads))) {
                for (TextSide s : sides) {
                    List<TokenizedText> texts = s.tag().equals("B") ? s.texts().subList(0, 1) : s.texts();
                    TokenBatch b = TokenBatch.of(texts, pad);
                    List<Tensor> probs = softmaxes(session, b, soft);
                    List<AttentionRollout.Result> per = new ArrayList<>();
                    for (int n = 0; n < texts.size(); n++) {
                        per.add(AttentionRollout.of(probs, n, b.lengths()[n]));
                    }
                    r.put(s.tag(), per);
                }
            } catch (OrtException e) {
                log.println("attention rollout skipped: " + Main.oneLine(e.getMessage()));
            } catch (Explain4jException e) {
                log.println("attention rollout skipped: " + Main.oneLine(e.getMessage()));
            }
            return r;
        }

        private List<Tensor> softmaxes(OrtSession session, TokenBatch b, List<String> names) throws OrtException {
            var env = OnnxModel.environment();
            Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
            try {
                long[] shape = {b.ids().dim(0), b.ids().dim(1)};
                feeds.put(in.ids(), OnnxTensor.createTensor(env, LongBuffer.wrap(b.ids().toLongArray()), shape));
                if (in.mask() != null) {
                    feeds.put(in.mask(), OnnxTensor.createTensor(env, LongBuffer.wrap(b.mask().toLongArray()), shape));
                }
                if (in.types() != null) {
                    feeds.put(in.types(), OnnxTensor.createTensor(env, LongBuffer.wrap(b.types().toLongArray()), shape));
                }
                try (OrtSession.Result res = session.run(feeds, new java.util.LinkedHashSet<>(names))) {
                    List<Tensor> outL = new ArrayList<>();
                    for (String nme : names) {
                        OnnxTensor t = (OnnxTensor) res.get(nme).orElseThrow();
                        long[] sh = t.getInfo().getShape();
                        int[] ish = new int[sh.length];
                        for (int i = 0; i < sh.length; i++) {
                            ish[i] = (int) sh[i];
                        }
                        java.nio.FloatBuffer fb = t.getFloatBuffer();
                        float[] v = new float[fb.remaining()];
                        fb.get(v);
                        outL.add(Tensor.ofFloats(v, ish));
                    }
                    return outL;
                }
            } finally {
                for (OnnxTensor t : feeds.values()) {
                    t.close();
                }
            }
        }

        private Path report(List<TextSide> sides, List<TextResult> results, Map<String, List<AttentionRollout.Result>> rollouts,
                            List<TopPredictions> preds, String targetLine, TokenizedText other) {
            HtmlReport.Builder report = HtmlReport.builder("explain4j report: " + modelPath.getFileName());
            StringBuilder summary = new StringBuilder();
            for (int n = 0; n < sides.get(0).texts().size(); n++) {
                summary.append(n == 0 ? "" : "; ").append(sides.size() > 1 ? "A" : "text").append(" #").append(n)
                        .append(": \"").append(sides.get(0).texts().get(n).text()).append("\"");
                if (other != null) {
                    summary.append(String.format(Locale.ROOT, " (cosine similarity to B %.4f)", outputValues[n]));
                }
            }
            if (other != null) {
                summary.append("; B: \"").append(other.text()).append("\"");
            }
            report.inputSummary(summary + " (tokenizer " + args.tokenizer.getFileName() + ", " + targetLine
                    + "; perturbation: " + features + " replaced by " + baselineKind + ")");
            preds.forEach(report::addPredictions);
            if (!results.isEmpty()) {
                BufferedImage overview = TextFigures.overview(sides, results);
                Pictures.writePng(overview, out.resolve("overview.png"));
                report.overview(Figure.of(overview, "every method, words of example #0, each method scaled to its "
                        + "largest |word| value"));
            }
            for (TextResult r : results) {
                BufferedImage img = TextFigures.methodPicture(r, sides);
                Pictures.writePng(img, out.resolve(r.method() + ".png"));
                writeText(out.resolve(r.method() + ".html"), TextFigures.methodHtml(r, sides));
                String cmd = command(r.method());
                report.addSection(new MethodSection(r.method(), MethodCatalog.get(r.method()).description()
                        + description(r.method()), Figure.of(img, r.method() + ": tokens and words"), r.attribution(), cmd));
            }
            rolloutSection(report, sides, rollouts);
            Path html = out.resolve("report.html");
            report.build().write(html);
            return html;
        }

        private String description(String method) {
            MethodSpec spec = MethodCatalog.get(method);
            if (spec.family() == Family.PERTURBATION) {
                return " Features: " + features + "; a removed feature's tokens are " + switch (baselineKind) {
                    case "mask" -> "replaced by [MASK]";
                    case "pad" -> "replaced by the pad token";
                    default -> "deleted (the text is shortened)";
                } + "; special tokens are kept. A word's tokens share its value evenly.";
            }
            return " At " + embedding + " (the token vectors), summed over the hidden size"
                    + (spec.param("baseline").isPresent() ? "; reference: every non-special token replaced by the pad "
                    + "token" : "") + ". A word is the sum of its tokens.";
        }

        private void rolloutSection(HtmlReport.Builder report, List<TextSide> sides,
                                    Map<String, List<AttentionRollout.Result>> rollouts) {
            List<BufferedImage> pics = new ArrayList<>();
            Tensor values = null;
            for (TextSide s : sides) {
                List<AttentionRollout.Result> ro = rollouts.get(s.tag());
                if (ro == null || ro.isEmpty()) {
                    continue;
                }
                AttentionRollout.Result r0 = ro.get(0);
                TokenizedText tt = s.texts().get(0);
                String side = s.tag().isEmpty() ? "" : s.tag() + " ";
                List<String> tokens = TextFigures.pieces(tt);
                int cell = tokens.size() > 24 ? 12 : 18;
                pics.add(TokenMatrixPicture.render(side + "#0 rolled out over " + r0.rollout().size() + " layers", tokens,
                        r0.last(), cell));
                for (int l = 0; l < r0.layers().size(); l++) {
                    pics.add(TokenMatrixPicture.render(side + "layer " + (l + 1) + " (mean of heads)", tokens,
                            r0.layers().get(l), Math.max(6, cell / 2)));
                }
                if (values == null) {
                    double[][] m = r0.last();
                    double[] flat = new double[m.length * m.length];
                    for (int i = 0; i < m.length; i++) {
                        System.arraycopy(m[i], 0, flat, i * m.length, m.length);
                    }
                    values = Tensor.ofDoubles(flat, 1, m.length, m.length);
                }
            }
            if (pics.isEmpty()) {
                return;
            }
            BufferedImage img = TextFigures.tile(pics, 1000);
            Pictures.writePng(img, out.resolve("attention-rollout.png"));
            Map<String, Object> rolloutOptions = new LinkedHashMap<>(); // in this order in the report (Map.of's varied per run)
            rolloutOptions.put("head-fusion", "mean");
            rolloutOptions.put("residual", 0.5);
            Attribution a = new Attribution("attention-rollout", values, Target.of(0), rolloutOptions, OptionalLong.empty(),
                    new Diagnostics(1, Duration.ZERO, Optional.empty(), Optional.empty()),
                    new Provenance(modelPath.getFileName().toString(), "", "explain4j", org.explain4j.core.Version.get(),
                            java.time.Instant.now()), in.ids());
            report.addSection(new MethodSection("attention rollout", "Attention rollout (Abnar and Zuidema, 2020) from "
                    + "the Softmax outputs of every layer: heads averaged, 0.5 A + 0.5 I for the residual, rows "
                    + "renormalised, layers multiplied from the first up. Row i: how much of token i's final "
                    + "representation flows from each token. Not an attribution to the target: it ignores the "
                    + "value vectors and the head. Every text run computes it; the command below is the cheapest.", Figure.of(img, "attention rollout and per-layer attention"),
                    a, command("layer-gradient-x-activation")));
        }

        private String command(String method) {
            List<String> c = new ArrayList<>(List.of("explain4j", "explain", "--model", modelPath.toString(), "--tokenizer",
                    args.tokenizer.toString()));
            for (String t : args.texts) {
                c.add("--text");
                c.add(t);
            }
            if (args.textFile != null) {
                c.add("--text-file");
                c.add(args.textFile.toString());
            }
            if (args.similarTo != null) {
                c.add("--similar-to");
                c.add(args.similarTo);
            }
            if (layerGiven) {
                c.addAll(List.of("--layer", embedding));
            }
            c.addAll(List.of("--max-length", Integer.toString(args.maxLength), "--token-baseline", baselineKind,
                    "--features", features, "--methods", method, "--out", out.toString()));
            return Shell.join(c);
        }

        private String label(int c) {
            return c < labels.size() ? labels.get(c) : "class " + c;
        }

        private List<Prediction> top(double[] p, int k) {
            List<Prediction> o = new ArrayList<>();
            for (int c : Ranks.top(p, k)) {
                o.add(new Prediction(label(c), p[c]));
            }
            return o;
        }
    }

    private static float[][] rows(Tensor t) {
        int n = t.dim(0);
        int d = t.exampleSize();
        float[][] r = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                r[i][k] = (float) t.getDouble(i * d + k);
            }
        }
        return r;
    }

    private static float[][] repeat(float[] v, int n) {
        float[][] r = new float[n][];
        for (int i = 0; i < n; i++) {
            r[i] = v.clone();
        }
        return r;
    }

    /** Rows divided by their norms, as a float tensor (N, D). */
    private static Tensor unitRows(float[][] rows) {
        int n = rows.length;
        int d = rows[0].length;
        float[] v = new float[n * d];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (float x : rows[i]) {
                s += (double) x * x;
            }
            double norm = Math.sqrt(s);
            if (!(norm > 0)) {
                throw Explain4jException.usage("--similar-to", "a text's embedding is zero; give texts with words");
            }
            for (int k = 0; k < d; k++) {
                v[i * d + k] = (float) (rows[i][k] / norm);
            }
        }
        return Tensor.ofFloats(v, n, d);
    }

    private void writeText(Path file, CharSequence text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw Explain4jException.file("--out", "--out " + out + " cannot be written: " + Main.oneLine(e.getMessage()));
        }
    }

    private static String maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return String.format("%.2e", m);
    }
}
