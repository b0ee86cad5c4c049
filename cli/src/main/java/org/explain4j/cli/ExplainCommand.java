package org.explain4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.InputKind;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Need;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code explain4j explain}: from a model and a real input (an image, an .npy tensor, a CSV row,
 * token ids) to a folder with one picture per method, the JSON results and a self-contained
 * {@code report.html}.
 */
@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Explains a model's prediction on an input with several methods and writes a report.")
public final class ExplainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "ONNX model file.")
    Path model;

    @Option(names = "--input", paramLabel = "[NAME=]FILE",
            description = "An image (.png/.jpg), an .npy batch, a .csv table with a header, or a .txt file of token ids; "
                    + "for a model with several inputs, the others as --input NAME=FILE.npy (fed as given).")
    List<String> inputs;

    @CommandLine.Mixin
    org.explain4j.cli.audio.AudioOptions audio = new org.explain4j.cli.audio.AudioOptions();

    @Option(names = "--explain", paramLabel = "NAME", description = "The model input to explain (default: the only "
            + "input, else the only floating one).")
    String explain;

    @Option(names = "--batch-axis", paramLabel = "NAME=K|none", description = "The batch axis of a fed input where the "
            + "model's declared shapes do not tell it (none: fed as is).")
    List<String> batchAxes = new ArrayList<>();

    @Option(names = "--methods", paramLabel = "A,B", description = "Methods to run (default: a sensible set for the input).")
    String methods;

    @Option(names = "--target", paramLabel = "T", description = "Class to explain (default: the predicted class of each example).")
    String target;

    @Option(names = "--labels", paramLabel = "FILE", description = "Class names, one per line.")
    Path labels;

    @Option(names = "--layer", paramLabel = "NAME", description = "Layer for Grad-CAM and the layer methods (ONNX tensor name).")
    String layer;

    @Option(names = "--resize", paramLabel = "H,W", description = "Image size (default: the model's input size).")
    String resize;

    @Option(names = "--mean", paramLabel = "M", description = "Per-channel mean subtracted from images in [0,1], e.g. 0.485,0.456,0.406.")
    String mean;

    @Option(names = "--std", paramLabel = "S", description = "Per-channel standard deviation images are divided by.")
    String std;

    @Option(names = "--channels", paramLabel = "ORDER", description = "Image channel order: rgb (default) or bgr.")
    String channels;

    @Option(names = "--card", paramLabel = "CARD.json", description = "Model card: {\"resize\":[h,w],\"mean\":[..],\"std\":[..],\"channels\":\"rgb\",\"labels\":[..],\"layer\":\"..\"}.")
    Path card;

    @Option(names = "--vocab", paramLabel = "FILE", description = "Vocabulary (one token per line) for token-id inputs.")
    Path vocab;

    @Option(names = "--heatmap", paramLabel = "MODE", description = "Heatmap colours: signed (default), absolute, positive or negative.")
    String heatmap = "signed";

    @Option(names = "--overlay", description = "Blend heatmaps over the input image.")
    boolean overlay;

    @Option(names = "--shared-scale", description = "One colour scale per method across all examples (default: per image).")
    boolean sharedScale;

    @Option(names = "--evaluate", description = "Score every method with a few attribution-quality metrics (deletion, "
            + "insertion, faithfulness correlation, max-sensitivity, MPRT, sparseness), rank them, and add a \"Which "
            + "explanation to trust?\" section to the report and evaluation.json beside it.")
    boolean evaluate;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out = Path.of("explain4j-out", "explain");

    @Option(names = "--batch-size", paramLabel = "B", description = "Most rows per model call, or auto: as many as fit "
            + "the memory budget (default ${DEFAULT-VALUE}).")
    String batchSize = "auto";

    @CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads (0: its default).")
    int threads;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    /** Raw text through a tokenizer (--tokenizer, --text, --similar-to, ...): see TextExplainer. */
    @CommandLine.Mixin
    org.explain4j.cli.text.TextArgs text = new org.explain4j.cli.text.TextArgs();

    @Override
    public Integer call() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        if (device.given() && (audio.given() || text.active())) {
            throw Explain4jException.usage("--device", "--device " + device.value() + " does not apply to --audio or raw "
                    + "text yet (their models run on the CPU); leave --device out");
        }
        if (audio.given()) {
            log.println("report: " + AudioExplain.explain(this, audio, log).toAbsolutePath().normalize());
            return 0;
        }
        audio.refuseWithoutAudio();
        var cardJson = ExplainInput.card(card);
        if (text.active()) {
            if (inputs != null && !inputs.isEmpty()) {
                throw Explain4jException.usage("--input", "give either --input or raw text (--tokenizer with --text or "
                        + "--text-file), not both");
            }
            List<String> names = labels != null ? readLines(labels) : cardJson.map(ExplainCommand::cardLabels).orElse(List.of());
            String pooling = cardJson.filter(c -> c.has("pooling")).map(c -> c.get("pooling").asText()).orElse(null);
            String lay = layer != null ? layer : cardJson.filter(c -> c.has("layer")).map(c -> c.get("layer").asText()).orElse(null);
            Path report = new TextExplainer(text, model, out, quiet, threads, names, batchSize)
                    .run(methods, target, lay, pooling, log);
            log.println("report: " + report.toAbsolutePath().normalize());
            return 0;
        }
        if (inputs == null || inputs.isEmpty()) {
            throw Explain4jException.usage("--input", "--input or --audio is required: give the input to explain (or --tokenizer with --text for raw text)");
        }
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        ExplainChecks.refuseGiven(given, "without raw text (--tokenizer with --text)", "--max-length", "--pooling",
                "--token-baseline", "--features");
        String batch = ExplainChecks.batchSize(batchSize);
        List<String> requested = methods != null ? ExplainChecks.methods(methods) : null;
        NamedInputs named = NamedInputs.parse(inputs, explain == null ? List.of() : List.of(explain), batchAxes);
        try (ModelLoader.Loaded m = ModelLoader.load(model, threads, device.value(), named.firstExplained(), null)) {
            String explained = m.signature().inputName();
            Path inputFile = named.explainedFile(explained);
            String file = inputFile.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            if (!file.endsWith(".png") && !file.endsWith(".jpg") && !file.endsWith(".jpeg")) {
                ExplainChecks.refuseGiven(given, "to an input that is not an image (.png, .jpg)", "--resize", "--mean", "--std",
                        "--channels");
            }
            ExplainInput in = ExplainInput.load(inputFile, m.signature(),
                    ExplainInput.Preprocessing.of(resize, mean, std, channels, cardJson), vocab);
            if (in.kind() != ExplainInput.Kind.TOKENS) {
                ExplainChecks.refuseGiven(given, "to an input that is not token ids", "--vocab");
            }
            m.signature().validate(in.batch(), "--input");
            TokenIds.check(m.onnx(), explained, in.batch(), "--input");
            java.util.Map<String, Tensor> others = named.read(m.signature(), explained, true);
            TokenIds.checkAll(m.onnx(), others, name -> "--input " + name);
            FedInputs fed = named.fed(others, explained);
            // the classes' count and form before anything costly runs (the forward pass); their range
            // once the forward pass gives the number of classes
            int[] givenTargets = target != null ? Targets.parse(target, in.batch().batchSize(), "example") : null;
            String lay = layer != null ? layer : cardJson.filter(c -> c.has("layer")).map(c -> c.get("layer").asText()).orElse(null);
            List<String> chosen = requested != null ? requested : defaults(in.kind(), lay, in.batch());
            List<MethodSpec> specs = new ArrayList<>();
            for (String name : chosen) {
                specs.add(MethodCatalog.find(name).orElseThrow(() -> Explain4jException.usage("--methods",
                        "unknown method '" + name.trim() + "'; choose from " + String.join(", ", MethodCatalog.names()))));
            }
            List<String> written = specs.stream().map(MethodSpec::name).toList();
            for (Path each : named.files().values()) {
                ExplainChecks.refuseOverwriting(out, written, "--input", each);
            }
            ExplainChecks.refuseOverwriting(out, written, "--model", model);
            ExplainChecks.refuseOverwriting(out, written, "--labels", labels);
            ExplainChecks.refuseOverwriting(out, written, "--card", card);
            ExplainChecks.refuseOverwriting(out, written, "--vocab", vocab);
            // one forward pass gives the number of classes (to check --target), the predicted classes
            // and the report's probabilities
            Tensor logits = Explainer.forward(m, in.batch(), fed);
            int[] targets = targets(logits, givenTargets);
            Target t = Target.of(targets.length == 1 ? new int[] {targets[0]} : targets);
            ExplainChecks.outFolder(out);
            Path inputNpy = out.resolve("input.npy");
            Npy.write(in.batch(), inputNpy);
            List<String> names = labels != null ? readLines(labels) : cardJson.map(ExplainCommand::cardLabels).orElse(List.of());
            List<Explainer.Run> runs = new ArrayList<>();
            for (MethodSpec spec : specs) {
                runs.add(new Explainer.Run(spec.name(), RunSettings.argsFor(spec, in, lay, out, batch)));
            }
            Explainer ex = new Explainer(m, model, in, inputNpy, names, out, quiet).withPictures(heatmap, overlay, sharedScale)
                    .withFed(fed, named.fedArgs(explained)).withEvaluation(evaluate)
                    .withRequested(requested != null, target != null);
            Path report = ex.explain(runs, t, targets, logits, log);
            log.println("report: " + report.toAbsolutePath().normalize());
        }
        return 0;
    }

    private static int[] targets(Tensor out, int[] given) {
        if (given != null) {
            Targets.requireInRange(given, out.dim(1));
            return given;
        }
        return Ranks.argmax(out);
    }

    /**
     * The catalogue's methods suggested for the kind of input, in catalogue order; methods that
     * need a layer only when one is known.
     */
    static List<String> defaults(ExplainInput.Kind kind, String layer, Tensor x) {
        InputKind k = InputKind.valueOf(kind.name());
        return MethodCatalog.all().stream()
                .filter(m -> m.suggestedFor().contains(k) && (layer != null || !m.needs().contains(Need.LAYER)))
                .map(MethodSpec::name).toList();
    }

    private static List<String> readLines(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw Explain4jException.file("--labels", "--labels " + p + " cannot be read: " + e.getMessage());
        }
    }

    private static List<String> cardLabels(com.fasterxml.jackson.databind.JsonNode c) {
        List<String> out = new ArrayList<>();
        if (c.has("labels")) {
            c.get("labels").forEach(l -> out.add(l.asText()));
        }
        return out;
    }
}
