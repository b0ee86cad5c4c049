package org.explain4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.model.Model;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code explain4j demo}: explains the bundled example model (a small CNN trained on 8x8 digit
 * images) on a few bundled digits with every available method, offline, and writes the results
 * to a folder it names on stdout.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Explains the bundled digits CNN with every available method and writes the results to a folder.")
public final class DemoCommand implements Callable<Integer> {
    private static final String RESOURCES = "/org/explain4j/cli/demo/";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out = Path.of("explain4j-out", "demo");

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        Files.createDirectories(out);
        Path modelFile = out.resolve("digits_cnn.onnx");
        copyResource("digits_cnn.onnx", modelFile);
        Tensor x = Npy.read(resource("digits_x.npy"), "demo input");
        List<String> labels = new String(resource("labels.txt").readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        Npy.write(x, out.resolve("input.npy"));
        Path mask = out.resolve("patches_2x2.npy");
        Npy.write(patchMask(8, 8, 2), mask);
        List<String[]> rows = new ArrayList<>();
        try (Model model = ModelLoader.load(modelFile, 0, null, null)) {
            // 1. Explain each digit's predicted class.
            Tensor logits = model.forward(x);
            int n = x.batchSize();
            int[] predicted = new int[n];
            for (int i = 0; i < n; i++) {
                predicted[i] = argmax(logits, i);
            }
            Target target = Target.of(predicted);
            o.println("explain4j demo: " + n + " digits, predicted " + describe(predicted, labels));
            // 2. Run every method with settings that suit 8x8 images.
            for (Map.Entry<String, String[]> m : demoRuns(mask).entrySet()) {
                String[] args = m.getValue();
                CommandLine.ParseResult pr = new CommandLine(new AttributeCommand()).parseArgs(args);
                AttributeCommand cmd = pr.commandSpec().commandLine().getCommand();
                cmd.spec = pr.commandSpec();
                AttributionMethod method = Methods.create(m.getKey(), model, cmd.flagsFor(x),
                        quiet ? org.explain4j.core.engine.ProgressListener.NONE : new ConsoleProgress(5_000));
                Attribution a = method.attribute(x, target);
                Npy.write(a.values(), out.resolve(m.getKey() + ".npy"));
                AttributionJson.write(a, out.resolve(m.getKey() + ".json"));
                rows.add(new String[] {m.getKey(), String.valueOf(a.diagnostics().modelEvaluations()),
                        String.format("%.1f", a.diagnostics().elapsed().toNanos() / 1e6),
                        a.diagnostics().completenessGap().map(DemoCommand::maxAbs).orElse("-")});
            }
        }
        // 3. Summarise.
        o.printf("%-26s %12s %10s %16s%n", "method", "model evals", "ms", "max |gap|");
        for (String[] r : rows) {
            o.printf("%-26s %12s %10s %16s%n", (Object[]) r);
        }
        o.println("results written to " + out.toAbsolutePath().normalize());
        return 0;
    }

    /** The demo's method runs, as command-line flags, keyed by method name. */
    static Map<String, String[]> demoRuns(Path mask) {
        String m = mask.toString();
        Map<String, String[]> runs = new LinkedHashMap<>();
        for (String name : Methods.names()) {
            String[] args = switch (name) {
                case "occlusion" -> new String[] {"--window", "1,2,2", "--stride", "1,1,1"};
                case "feature-ablation", "shapley-exact" -> new String[] {"--feature-mask", m};
                case "shapley-value-sampling" -> new String[] {"--feature-mask", m, "--samples", "64", "--seed", "7", "--exact", "never"};
                case "kernel-shap" -> new String[] {"--feature-mask", m, "--samples", "512", "--seed", "7"};
                case "lime" -> new String[] {"--feature-mask", m, "--samples", "500", "--seed", "7"};
                case "feature-permutation" -> new String[] {"--feature-mask", m, "--seed", "7"};
                default -> null;
            };
            if (args != null) {
                String[] full = new String[args.length + 8];
                String[] fixed = {"--model", "-", "--input", "-", "--method", name, "--output", "-"};
                System.arraycopy(fixed, 0, full, 0, fixed.length);
                System.arraycopy(args, 0, full, fixed.length, args.length);
                runs.put(name, full);
            }
        }
        return runs;
    }

    /** Feature ids grouping {@code size x size} patches of an {@code h x w} image, shape (1, 1, h, w). */
    static Tensor patchMask(int h, int w, int size) {
        long[] ids = new long[h * w];
        int perRow = (w + size - 1) / size;
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                ids[r * w + c] = (long) (r / size) * perRow + c / size;
            }
        }
        return Tensor.ofLongs(ids, 1, 1, h, w);
    }

    private static int argmax(Tensor logits, int row) {
        int c = logits.dim(1);
        int best = 0;
        for (int k = 1; k < c; k++) {
            if (logits.getDouble(row * c + k) > logits.getDouble(row * c + best)) {
                best = k;
            }
        }
        return best;
    }

    private static String describe(int[] predicted, List<String> labels) {
        StringBuilder b = new StringBuilder();
        for (int p : predicted) {
            b.append(b.length() == 0 ? "" : ", ").append(p < labels.size() ? labels.get(p) : String.valueOf(p));
        }
        return b.toString();
    }

    private static String maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return String.format("%.2e", m);
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
