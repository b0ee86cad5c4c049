package org.explain4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.FedInputs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code explain4j demo}: explains the bundled example model (a small CNN trained on 8x8 digit
 * images) on eight bundled digits with every method, offline, and writes the pictures, the
 * results, {@code report.html} with its "Which explanation to trust?" section and
 * {@code evaluation.json} to a folder it names on stdout.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Explains the bundled digits CNN with every method and writes a report to a folder.")
public final class DemoCommand implements Callable<Integer> {
    private static final String RESOURCES = "/org/explain4j/cli/demo/";
    /** The demo model's first convolutional activation (8x8), for Grad-CAM and the layer methods: on this small CNN the Grad-CAM map of the last one (4x4) is negative everywhere, so its ReLU'd map is blank. */
    static final String LAYER = "/relu1/Relu_output_0";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out = Path.of("explain4j-out", "demo");

    @Option(names = "--methods", paramLabel = "A,B", description = "Only these methods (default: all).")
    String methods;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        List<String> requested = methods == null ? null : ExplainChecks.methods(methods);
        ExplainChecks.outFolder(out);
        refuseForeign("digits_cnn.onnx");
        refuseForeign("digits_x.npy", "input.npy");
        // the files are written under the catalogue's names (--methods Saliency writes saliency.*)
        refuseUserFiles(requested == null ? MethodCatalog.names()
                : requested.stream().map(n -> MethodCatalog.find(n).map(MethodSpec::name).orElse(n)).toList());
        // 1. Unpack the bundled model, digits and labels into the output folder.
        Path modelFile = out.resolve("digits_cnn.onnx");
        copyResource("digits_cnn.onnx", modelFile);
        Path inputFile = out.resolve("input.npy");
        copyResource("digits_x.npy", inputFile);
        List<String> labels;
        try (InputStream in = resource("labels.txt")) {
            labels = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim).toList();
        }
        Tensor x = Npy.read(inputFile, "demo input");
        ExplainInput input = new ExplainInput(ExplainInput.Kind.IMAGE, x, x, List.of(), List.of());
        try (ModelLoader.Loaded model = ModelLoader.load(modelFile, 0, null, null)) {
            // 2. Explain each digit's predicted class with every method.
            // one forward pass gives the predicted classes and the report's probabilities
            Tensor logits = Explainer.forward(model, x, FedInputs.none());
            int[] predicted = Ranks.argmax(logits);
            List<Explainer.Run> runs = new ArrayList<>();
            List<String> names = requested == null ? MethodCatalog.names() : requested;
            for (String name : names) {
                MethodSpec spec = MethodCatalog.find(name).orElseThrow(() -> Explain4jException.usage("--methods",
                        "unknown method '" + name + "'; choose from " + String.join(", ", MethodCatalog.names())));
                runs.add(new Explainer.Run(spec.name(), RunSettings.argsFor(spec, input, LAYER, out, "auto")));
            }
            log.println("explain4j demo: the bundled digits CNN on " + x.batchSize() + " digits, " + runs.size() + " methods");
            Explainer ex = new Explainer(model, modelFile, input, inputFile, labels, out, quiet).withEvaluation(true)
                    .withRequested(requested != null, false);
            Path report = ex.explain(runs, Target.of(predicted), predicted, logits, log);
            log.println("report: " + report.toAbsolutePath().normalize());
        }
        log.println("results written to " + out.toAbsolutePath().normalize());
        return 0;
    }

    /**
     * Refuses an {@code --out} folder that holds files under names the demo writes ({@code report.html},
     * {@code METHOD.png}, {@code evaluation.json}, ...) unless it is a folder the demo wrote before
     * (it holds the demo's own copy of the bundled model, which every run unpacks first): the
     * demo's results would replace a user's files of those names.
     */
    private void refuseUserFiles(List<String> methodNames) throws IOException {
        if (Files.isRegularFile(out.resolve("digits_cnn.onnx"))) {
            return; // the demo's copy (refuseForeign checked it): a folder of an earlier demo run
        }
        List<String> taken = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(out)) {
            files.map(f -> f.getFileName().toString())
                    .filter(f -> ExplainChecks.written(f, methodNames))
                    .sorted().forEach(taken::add);
        }
        if (!taken.isEmpty()) {
            throw Explain4jException.usage("--out", "--out " + out + " holds " + taken.get(0)
                    + (taken.size() > 1 ? " and " + (taken.size() - 1) + " more file(s)" : "")
                    + " that the demo would overwrite and did not write; choose a new or empty --out folder");
        }
    }

    /** Refuses to replace a file in --out that is not the demo's own copy of the bundled {@code name}. */
    private void refuseForeign(String name) throws IOException {
        refuseForeign(name, name);
    }

    private void refuseForeign(String name, String as) throws IOException {
        Path p = out.resolve(as);
        if (Files.exists(p)) {
            byte[] bundled;
            try (InputStream in = resource(name)) {
                bundled = in.readAllBytes();
            }
            if (!java.util.Arrays.equals(bundled, Files.readAllBytes(p))) {
                throw Explain4jException.usage("--out", "--out " + out + " holds a file " + as + " that is not the demo's; "
                        + "the demo would overwrite it: choose another --out folder");
            }
        }
    }

    private static InputStream resource(String name) {
        InputStream in = DemoCommand.class.getResourceAsStream(RESOURCES + name);
        if (in == null) {
            throw Explain4jException.file("demo", "the bundled example file " + name
                    + " is missing from this build; rebuild with ./explain4j --rebuild");
        }
        return in;
    }

    private static void copyResource(String name, Path dest) throws IOException {
        try (InputStream in = resource(name)) {
            Files.copy(in, dest, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
