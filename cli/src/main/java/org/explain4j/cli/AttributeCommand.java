package org.explain4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.model.Model;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code explain4j attribute}: one method, one model, one input batch, one output file. */
@Command(name = "attribute", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Computes attributions of a model's output for a batch of inputs.",
        footer = {"", "Example:",
                "  explain4j attribute --model m.onnx --input x.npy --method occlusion --window 1,3,3 --target 0 --output a.npy"})
public final class AttributeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "ONNX model file (never modified).")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Input batch, shape (N, ...), as .npy.")
    Path input;

    @Option(names = "--method", required = true, paramLabel = "METHOD", description = "Attribution method (see below, or explain4j methods).")
    String method;

    @Option(names = "--output", required = true, paramLabel = "OUT", description = "Where to write the result.")
    Path output;

    @Option(names = "--target", paramLabel = "T", description = "Class index for all examples (3), one per example (0,1,2), or weights:w0,w1,... (default 0).")
    String target;

    @Option(names = "--format", paramLabel = "FMT", description = "npy (the values) or json (the versioned result document); default npy.")
    String format = "npy";

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads (0: its default).")
    int threads;

    @Option(names = "--input-name", paramLabel = "NAME", description = "The model input to explain (default: its first).")
    String inputName;

    @Option(names = "--output-name", paramLabel = "NAME", description = "The model output to explain (default: its first).")
    String outputName;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("npy") && !fmt.equals("json")) {
            throw Explain4jException.usage("--format", "--format '" + format + "' must be npy or json");
        }
        refuseOverwriting(output, "--input", input);
        refuseOverwriting(output, "--model", model);
        MethodSpec ms = MethodCatalog.get(method);
        Tensor x = Npy.read(input, "--input");
        ProgressListener progress = quiet ? ProgressListener.NONE : new ConsoleProgress(2_000);
        // Bind the method flags before loading the model: a flag that does not apply fails fast.
        Params params = ms.bind(MethodOptions.typed(ms, MethodOptions.given(spec.commandLine().getParseResult()), x));
        try (Model m = ModelLoader.load(model, threads, inputName, outputName)) {
            AttributionMethod am = ms.create(m, params, progress);
            Target t = target == null ? Target.classIndex(0) : Parse.target(target);
            Attribution a = am.attribute(x, t);
            if (fmt.equals("json")) {
                AttributionJson.write(a, output);
            } else {
                Npy.write(a.values(), output);
            }
            spec.commandLine().getOut().println(output);
        }
        return 0;
    }

    /** Refuses an output path that is the same file as {@code flag}'s, which writing would destroy. */
    static void refuseOverwriting(Path out, String flag, Path in) {
        Path a = out.toAbsolutePath().normalize();
        Path b = in.toAbsolutePath().normalize();
        boolean same = a.equals(b);
        try {
            same = same || (java.nio.file.Files.exists(out) && java.nio.file.Files.isSameFile(out, in));
        } catch (java.io.IOException e) {
            // Not the same file if either cannot be resolved; reading or writing reports the real problem.
        }
        if (same) {
            throw Explain4jException.usage("--output", "--output " + out + " is the " + flag + " file; writing the result "
                    + "there would destroy it: choose another path");
        }
    }

    /** The {@code attribute} command with one flag per catalogue parameter. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new AttributeCommand());
        MethodOptions.addTo(cl.getCommandSpec());
        return cl;
    }
}
