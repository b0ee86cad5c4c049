package org.explain4j.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.Family;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;

/**
 * The coverage table (issue 13): for each fixture model (the small test models, the
 * architectural motifs, the real third-party models and, optionally, full-size torchvision
 * models exported by {@code scripts/torchvision_coverage.py}) and each method family, whether
 * explain4j runs it or the one-line reason it does not, and for the gradient the agreement with
 * PyTorch's autograd (max abs error / max abs reference). Writes {@code docs/COVERAGE.md}.
 *
 * <p>Run it (no Python needed; the full-size folder is optional):
 * <pre>
 * mvn -B -o -q -pl core,onnx -am verify -Dtest=CoverageTableTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dexplain4j.coverage.out=$PWD/docs/COVERAGE.md -Dexplain4j.coverage.fullSize=/tmp/explain4j-torchvision
 * </pre>
 */
public final class CoverageTable {
    /** The methods run, one column each, with the family they stand for. */
    static final List<String> METHODS = List.of("saliency", "integrated-gradients", "layer-integrated-gradients", "deeplift",
            "lrp", "guided-backprop", "perturbation");
    static final int STEPS = 16;

    /** Where a model comes from. */
    enum Kind { FIXTURE, MOTIF, REAL, FULL_SIZE }

    /**
     * A model to cover: its inputs (the first is explained, the others are fed as given, with the
     * batch axes in {@code batchAxes} where the model does not name them), the PyTorch gradient at
     * the input or at the embedding tensor, where known.
     */
    record Entry(String name, Kind kind, Path model, Optional<byte[]> bytes, Map<String, Tensor> inputs,
                 Optional<String> embedding, Optional<Tensor> grad, String note, Map<String, Integer> batchAxes) {
        Entry(String name, Kind kind, Path model, Optional<byte[]> bytes, Map<String, Tensor> inputs,
              Optional<String> embedding, Optional<Tensor> grad, String note) {
            this(name, kind, model, bytes, inputs, embedding, grad, note, Map.of());
        }

        boolean token() {
            return embedding.isPresent();
        }

        /** The explained input's name. */
        String explained() {
            return inputs.keySet().iterator().next();
        }

        /** The inputs other than the explained one, with their batch axes. */
        FedInputs fed() {
            Map<String, Tensor> others = new LinkedHashMap<>(inputs);
            others.remove(explained());
            FedInputs f = others.isEmpty() ? FedInputs.none() : FedInputs.of(others);
            for (Map.Entry<String, Integer> a : batchAxes.entrySet()) {
                f = f.withBatchAxis(a.getKey(), a.getValue());
            }
            return f;
        }
    }

    /**
     * The methods that run at the word embedding ({@code layer}) on token models: the gradient
     * family's layer-integrated-gradients and the propagation methods' layer versions.
     */
    static final List<String> LAYER_METHODS = List.of("layer-integrated-gradients", "deeplift", "lrp");

    /** One method on one model: it ran (with its time) or the one-line reason it did not. */
    record Cell(boolean ran, String reason, double seconds) {
        static Cell ran(double s) {
            return new Cell(true, "", s);
        }

        static Cell notRun(String reason) {
            return new Cell(false, reason, 0);
        }

        static Cell notApplicable(String why) {
            return new Cell(false, "n/a: " + why, 0);
        }

        boolean applicable() {
            return !reason.startsWith("n/a");
        }
    }

    /** A model's row. */
    record Row(Entry entry, List<String> ops, Map<String, Cell> cells, OptionalDouble agreement, String agreementNote) {
    }

    private CoverageTable() {
    }

    // ------------------------------------------------------------------ the models

    /** The committed fixtures: small test models, motifs and real models. */
    static List<Entry> committedEntries() {
        List<Entry> out = new ArrayList<>();
        for (String name : List.of("linear", "mlp_softmax", "residual_cnn", "text_embedding_bag", "text_embedding_bag_loop",
                "mlp_opset11", "mlp_opset17")) {
            Path m = Motifs.MODELS.resolve(name + ".onnx");
            Optional<String> emb = switch (name) {
                case "text_embedding_bag" -> Optional.of("/embedding/Gather_output_0");
                case "text_embedding_bag_loop" -> Optional.of("/emb/Loop_output_0");
                default -> Optional.empty();
            };
            out.add(new Entry(name, Kind.FIXTURE, m, Optional.empty(), Map.of("input", Npy.read(Motifs.MODELS.resolve(name + "_x.npy"))),
                    emb, Optional.empty(), "no PyTorch gradient committed"));
        }
        for (Motifs.Motif mo : Motifs.all()) {
            Optional<Tensor> g = (mo.token() ? mo.embGrad() : mo.grad()).map(Npy::read);
            out.add(new Entry(mo.name(), Kind.MOTIF, mo.model(), Optional.empty(), mo.readInputs(), mo.embedding(), g, ""));
        }
        Tensor text = Tensor.concat(List.of(RealModels.textImage("Hello 2026", false), RealModels.textImage("Hello 2026", true)));
        out.add(new Entry("ppocr_cls (PP-OCR v2.0 orientation)", Kind.REAL, RealModels.PPOCR, Optional.empty(),
                Map.of("x", text), Optional.empty(), Optional.empty(), "rendered text, upright and rotated"));
        Map<String, Tensor> silero = new LinkedHashMap<>();
        silero.put("input", Tensor.ofFloats(RealModels.voicedChunk(512, 16000, 0), 1, 512));
        silero.put("state", Tensor.zeros(org.explain4j.core.DType.FLOAT32, 2, 1, 128));
        silero.put("sr", Tensor.ofLongs(new long[] {16000}));
        out.add(new Entry("silero_vad_v5", Kind.REAL, RealModels.SILERO, Optional.empty(), silero, Optional.empty(),
                Optional.empty(), "512 samples of a voiced signal; explains `input`, feeds `state` = zeros (2, 1, 128) "
                + "(batch axis 1) and `sr` = 16000 (as is)", Map.of("state", 1, "sr", FedInputs.AS_IS)));
        RealModels.WordPiece tok = RealModels.miniLmTokenizer();
        long[] ids = tok.encode("the cat sat on the mat");
        Map<String, Tensor> mini = new LinkedHashMap<>();
        mini.put("input_ids", Tensor.ofLongs(ids, 1, ids.length));
        // a padded batch of two sentences: the second's mask is 0 over its padding
        long[] ids2 = tok.encode("a dog ran");
        long[] batch = new long[2 * ids.length];
        long[] mask = new long[2 * ids.length];
        System.arraycopy(ids, 0, batch, 0, ids.length);
        System.arraycopy(ids2, 0, batch, ids.length, ids2.length);
        java.util.Arrays.fill(mask, 0, ids.length + ids2.length, 1);
        mini.put("input_ids", Tensor.ofLongs(batch, 2, ids.length));
        mini.put("attention_mask", Tensor.ofLongs(mask, 2, ids.length));
        mini.put("token_type_ids", Tensor.ofLongs(new long[2 * ids.length], 2, ids.length));
        out.add(new Entry("all-MiniLM-L6-v2", Kind.REAL, Path.of("all-minilm-l6-v2.onnx"), Optional.of(RealModels.miniLmBytes()),
                mini, Optional.of("/embeddings/word_embeddings/Gather_output_0"), Optional.empty(),
                "'the cat sat on the mat' (" + ids.length + " tokens) and 'a dog ran' (" + ids2.length + " tokens, "
                + "padded with id 0, attention_mask 0 there); explains input_ids at the word embedding, feeds "
                + "attention_mask and token_type_ids (zeros); output last_hidden_state, target = element 0"));
        return out;
    }

    /** Full-size models from {@code scripts/torchvision_coverage.py}: {@code <name>.onnx}, {@code _x.npy}, {@code _grad.npy}. */
    static List<Entry> fullSizeEntries(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".onnx")).sorted().map(p -> {
                String name = p.getFileName().toString().replace(".onnx", "");
                Path g = dir.resolve(name + "_grad.npy");
                return new Entry(name, Kind.FULL_SIZE, p, Optional.empty(), Map.of("input", Npy.read(dir.resolve(name + "_x.npy"))),
                        Optional.empty(), Files.exists(g) ? Optional.of(Npy.read(g)) : Optional.empty(), "torchvision, random weights");
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ running

    /** Runs every method on every entry. */
    static List<Row> run(List<Entry> entries) {
        List<Row> rows = new ArrayList<>();
        for (Entry e : entries) {
            rows.add(run(e));
        }
        return rows;
    }

    static Row run(Entry e) {
        List<String> ops = ops(e);
        Map<String, Cell> cells = new LinkedHashMap<>();
        OnnxModel model;
        try {
            model = load(e);
        } catch (RuntimeException ex) {
            String reason = oneLine(ex);
            METHODS.forEach(m -> cells.put(m, applicable(e, m).orElse(Cell.notRun(reason))));
            return new Row(e, ops, cells, OptionalDouble.empty(), "model not loaded");
        }
        Tensor x = e.inputs().get(e.explained());
        FedInputs fed;
        try {
            fed = e.fed();
        } catch (RuntimeException ex) {
            String reason = oneLine(ex);
            METHODS.forEach(m -> cells.put(m, applicable(e, m).orElse(Cell.notRun(reason))));
            model.close();
            return new Row(e, ops, cells, OptionalDouble.empty(), "inputs not bound");
        }
        OptionalDouble agreement = OptionalDouble.empty();
        String note = e.grad().isEmpty() ? "no reference" : "";
        try (model; OnnxDifferentiableModel grads = new OnnxDifferentiableModel(model, PropagationRegistry.standard())) {
            for (String method : METHODS) {
                Optional<Cell> na = applicable(e, method);
                if (na.isPresent()) {
                    cells.put(method, na.get());
                    continue;
                }
                long t0 = System.nanoTime();
                try {
                    var a = MethodCatalog.create(catalogName(e, method), method.equals("perturbation") ? model : grads,
                            params(e, method, x), ProgressListener.NONE).attribute(x, fed, Target.of(0));
                    if (firstNonFinite(a.values()) >= 0) {
                        cells.put(method, Cell.notRun("non-finite attribution"));
                        continue;
                    }
                    cells.put(method, Cell.ran((System.nanoTime() - t0) / 1e9));
                } catch (RuntimeException ex) {
                    cells.put(method, Cell.notRun(oneLine(ex)));
                }
            }
            if (e.grad().isPresent()) {
                try {
                    agreement = OptionalDouble.of(relativeError(gradient(e, grads, x, fed), e.grad().get()));
                    note = e.token() ? "at the embedding" : "";
                } catch (RuntimeException ex) {
                    note = "gradient not computed";
                }
            }
        }
        return new Row(e, ops, cells, agreement, note);
    }

    private static OnnxModel load(Entry e) {
        if (e.bytes().isPresent()) {
            try {
                Path tmp = Files.createTempFile("explain4j-coverage-", ".onnx");
                tmp.toFile().deleteOnExit();
                Files.write(tmp, e.bytes().get());
                return OnnxModel.load(tmp, options(e));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return OnnxModel.load(e.model(), options(e));
    }

    /** Names the explained input (needed where a model has several, e.g. two floating or only integer ones). */
    private static OnnxModel.Options options(Entry e) {
        OnnxModel.Options o = OnnxModel.Options.defaults();
        return e.inputs().size() > 1 ? o.withInputName(e.explained()) : o;
    }

    /**
     * A cell that is not applicable to this entry: layer IG needs an embedding; on token ids the
     * input-space methods (saliency, IG, guided backprop) do not apply, their family runs at the
     * embedding (layer IG, DeepLIFT and LRP with {@code layer}).
     */
    static Optional<Cell> applicable(Entry e, String method) {
        if (method.equals("layer-integrated-gradients") && !e.token()) {
            return Optional.of(Cell.notApplicable("no token input"));
        }
        if (e.token() && !method.equals("perturbation") && !LAYER_METHODS.contains(method)) {
            return Optional.of(Cell.notApplicable("token ids: the gradient family runs at the embedding"));
        }
        return Optional.empty();
    }

    /** Whether the cell of {@code method} on {@code e} runs at the word embedding rather than the input. */
    static boolean atLayer(Entry e, String method) {
        return e.token() && LAYER_METHODS.contains(method);
    }

    static String catalogName(Entry e, String method) {
        if (!method.equals("perturbation")) {
            return method;
        }
        return e.inputs().get(e.explained()).rank() == 4 ? "occlusion" : "feature-ablation";
    }

    static Map<String, Object> params(Entry e, String method, Tensor x) {
        Map<String, Object> p = new LinkedHashMap<>();
        switch (method) {
            case "saliency" -> p.put("abs", false);
            case "integrated-gradients" -> p.put("steps", STEPS);
            case "layer-integrated-gradients" -> {
                p.put("layer", e.embedding().orElseThrow());
                p.put("steps", STEPS);
            }
            case "deeplift" -> e.embedding().ifPresent(l -> p.put("layer", l));
            case "lrp" -> {
                p.put("composite", "epsilon-plus");
                e.embedding().ifPresent(l -> p.put("layer", l));
            }
            case "perturbation" -> {
                if (x.rank() == 4) {
                    // about 6 x 6 windows over the image, all channels at once
                    int h = Math.max(1, x.dim(2) / 6);
                    int w = Math.max(1, x.dim(3) / 6);
                    p.put("window", new int[] {x.dim(1), h, w});
                    p.put("stride", new int[] {x.dim(1), h, w});
                }
            }
            default -> {
            }
        }
        return p;
    }

    /** The gradient of output 0 summed over the batch: at the input, or at the embedding for token models. */
    static Tensor gradient(Entry e, OnnxDifferentiableModel grads, Tensor x, FedInputs fed) {
        int n = x.dim(0);
        Tensor out = grads.forward(x, fed.values());
        float[] seed = new float[out.size()];
        int c = out.size() / n;
        for (int i = 0; i < n; i++) {
            seed[i * c] = 1f;
        }
        BackwardRequest req = e.token()
                ? new BackwardRequest(RuleSet.gradient(), List.of(e.embedding().get()), Map.of(), false)
                : BackwardRequest.gradientOfInput();
        BackwardResult r = grads.backward(x, Tensor.ofFloats(seed, n, c), req.withInputs(fed.values()));
        return e.token() ? r.gradients().get(e.embedding().get()) : r.inputGradient().orElseThrow();
    }

    static double relativeError(Tensor got, Tensor ref) {
        if (got.size() != ref.size()) {
            throw new IllegalArgumentException("sizes differ: " + got.size() + " and " + ref.size());
        }
        double err = 0;
        double scale = 0;
        for (int i = 0; i < ref.size(); i++) {
            err = Math.max(err, Math.abs(got.getDouble(i) - ref.getDouble(i)));
            scale = Math.max(scale, Math.abs(ref.getDouble(i)));
        }
        if (scale == 0) {
            return err == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return err / scale;
    }

    private static int firstNonFinite(Tensor t) {
        return t.firstNonFinite();
    }

    static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        m = (nl < 0 ? m : m.substring(0, nl)).trim();
        // every refusal ends with the same list of perturbation methods; the table shows whether they ran
        int hint = m.indexOf("; the perturbation methods (");
        if (hint > 0) {
            m = m.substring(0, hint);
        }
        return m.replace("|", "\\|");
    }

    /** Op types of the model, subgraphs included, in order of first appearance. */
    static List<String> ops(Entry e) {
        try {
            byte[] b = e.bytes().isPresent() ? e.bytes().get() : Files.readAllBytes(e.model());
            LinkedHashSet<String> seen = new LinkedHashSet<>();
            collect(ModelProto.parseFrom(b).getGraph(), seen);
            return List.copyOf(seen);
        } catch (IOException ex) {
            return List.of("(unreadable: " + ex.getMessage() + ")");
        }
    }

    private static void collect(GraphProto g, LinkedHashSet<String> seen) {
        for (NodeProto n : g.getNodeList()) {
            seen.add(n.getOpType());
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    collect(a.getG(), seen);
                }
                a.getGraphsList().forEach(sub -> collect(sub, seen));
            }
        }
    }

    // ------------------------------------------------------------------ the document

    static String markdown(List<Row> rows, String command) {
        StringBuilder s = new StringBuilder();
        s.append("# Coverage\n\n");
        s.append("Which explain4j methods run on which models, generated by `CoverageTable` "
                + "(`onnx/src/test/java/org/explain4j/onnx/CoverageTable.java`; no Python needed):\n\n```\n")
                .append(command).append("\n```\n\n");
        s.append("- Date: ").append(LocalDate.now(ZoneOffset.UTC)).append(" (UTC)\n");
        s.append("- Machine: ").append(machine()).append("; timings are wall-clock seconds on a machine shared with "
                + "other builds, indicative only\n");
        s.append("- Methods: saliency (signed), integrated-gradients (").append(STEPS).append(" steps), "
                + "layer-integrated-gradients at the word embedding (token models, ").append(STEPS).append(" steps), "
                + "deeplift, lrp (composite epsilon-plus), guided-backprop, and a perturbation method: occlusion "
                + "(about 6 x 6 windows over all channels) for images, feature-ablation otherwise. Target: output 0.\n");
        s.append("- Token models (integer ids) are explained at the word embedding: layer-integrated-gradients, "
                + "and deeplift and lrp with `layer` set to the embedding output, marked `yes, layer`; saliency, "
                + "integrated-gradients and guided-backprop, which move the input itself, are `n/a` there. "
                + "Multi-input models are run as shipped: the first input listed under Models is explained, "
                + "the others fed (`FedInputs`, `OnnxModel.Options.withInputName`).\n");
        s.append("- Gradient agreement: max |explain4j - PyTorch autograd| / max |PyTorch| for the gradient of "
                + "output 0 summed over the batch, at the input (or at the word embedding for token models), "
                + "against `<name>_grad.npy` / `<name>_embgrad.npy`.\n");
        s.append("- A cell is `yes (seconds)` when the method ran and gave finite values, `no [k]` with reason k "
                + "below when it did not, `n/a` when the method does not apply.\n\n");
        List<String> reasons = new ArrayList<>();
        s.append("| model | kind | ops | families that run | gradient agreement |");
        METHODS.forEach(m -> s.append(' ').append(m).append(" |"));
        s.append("\n|---|---|---|---|---|");
        METHODS.forEach(m -> s.append("---|"));
        s.append('\n');
        for (Row r : rows) {
            s.append("| `").append(r.entry().name()).append("` | ").append(r.entry().kind().name().toLowerCase(Locale.ROOT).replace('_', '-'))
                    .append(" | ").append(String.join(", ", r.ops())).append(" | ").append(families(r)).append(" | ");
            if (r.agreement().isPresent()) {
                s.append(String.format(Locale.ROOT, "%.1e", r.agreement().getAsDouble()));
                if (!r.agreementNote().isEmpty()) {
                    s.append(" (").append(r.agreementNote()).append(')');
                }
            } else {
                s.append("- (").append(r.agreementNote()).append(')');
            }
            s.append(" |");
            for (String m : METHODS) {
                Cell c = r.cells().get(m);
                if (c.ran()) {
                    s.append(String.format(Locale.ROOT, " yes%s (%.2f s) |", atLayer(r.entry(), m) ? ", layer" : "",
                            c.seconds()));
                } else if (!c.applicable()) {
                    s.append(" n/a |");
                } else {
                    int k = reasons.indexOf(c.reason());
                    if (k < 0) {
                        reasons.add(c.reason());
                        k = reasons.size() - 1;
                    }
                    s.append(" no [").append(k + 1).append("] |");
                }
            }
            s.append('\n');
        }
        s.append("\n## Reasons\n\n");
        for (int i = 0; i < reasons.size(); i++) {
            s.append(i + 1).append(". ").append(reasons.get(i)).append('\n');
        }
        s.append("\n## Models\n\n");
        for (Row r : rows) {
            if (!r.entry().note().isEmpty()) {
                s.append("- `").append(r.entry().name()).append("`: ").append(r.entry().note()).append('\n');
            }
        }
        return s.toString();
    }

    /** The families with at least one method that ran, in catalogue order. */
    static String families(Row r) {
        LinkedHashSet<String> f = new LinkedHashSet<>();
        for (String m : METHODS) {
            if (r.cells().get(m).ran()) {
                Family fam = MethodCatalog.get(catalogName(r.entry(), m)).family();
                f.add(fam.name().toLowerCase(Locale.ROOT));
            }
        }
        return f.isEmpty() ? "none" : String.join(", ", f);
    }

    static String machine() {
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "%s %s (%s), %d CPUs, Java %s, ONNX Runtime %s", System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"), rt.availableProcessors(),
                System.getProperty("java.version"), OrtEnvironment.getEnvironment().getVersion());
    }

    /** Writes the table; arguments: output file, optional full-size model folder. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "docs/COVERAGE.md");
        Path full = args.length > 1 ? Path.of(args[1]) : null;
        List<Entry> entries = new ArrayList<>(committedEntries());
        entries.addAll(fullSizeEntries(full));
        Files.writeString(out, markdown(run(entries), "see CoverageTable's Javadoc"));
    }
}
