package org.explain4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.onnx.cache.CacheSettings;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.MemoryBudget;
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

    @Option(names = "--input", paramLabel = "[NAME=]FILE",
            description = "Input batch, shape (N, ...), as .npy; or the explained input as an image (.png/.jpg, with --card's "
                    + "preprocessing) or a .csv table with a header, read as explain and the service read them; for a model "
                    + "with several inputs, one --input NAME=FILE per input. (Or --audio.)")
    List<String> inputs;

    @Option(names = "--card", paramLabel = "CARD.json", description = "Model card whose image preprocessing (resize, mean, "
            + "std, channels; at the top level or under \"preprocessing\") applies to an image --input, as in explain4j serve.")
    Path card;

    @CommandLine.Mixin
    org.explain4j.cli.audio.AudioOptions audio = new org.explain4j.cli.audio.AudioOptions();

    @Option(names = "--explain", paramLabel = "NAME[,NAME]", description = "The model inputs to explain, each with its own "
            + "result (default: the only input, else the only floating one); the others are fed as given.")
    List<String> explain = new ArrayList<>();

    @Option(names = "--batch-axis", paramLabel = "NAME=K|none", description = "The batch axis of a fed input where the "
            + "model's declared shapes do not tell it (none: fed as is).")
    List<String> batchAxes = new ArrayList<>();

    @Option(names = "--method", required = true, paramLabel = "METHOD", description = "Attribution method (see below, or explain4j methods).")
    String method;

    @Option(names = "--output", required = true, paramLabel = "OUT", description = "Where to write the result.")
    Path output;

    @Option(names = "--target", paramLabel = "T", description = "Class index for all examples (3), one per example (0,1,2), or weights:w0,w1,... (default 0).")
    String target;

    @Option(names = "--format", paramLabel = "FMT", description = "npy (the values) or json (the versioned result document); default npy.")
    String format = "npy";

    @CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads (0: its default).")
    int threads;

    @Option(names = "--input-name", paramLabel = "NAME", description = "The model input to explain (same as --explain NAME).")
    String inputName;

    @Option(names = "--output-name", paramLabel = "NAME", description = "The model output to explain (default: its first).")
    String outputName;

    @Option(names = "--memory-budget", paramLabel = "SIZE", description = "Memory for one model call's activations, which "
            + "sizes --batch-size auto (the default): e.g. 512m, 2g (default: the system property explain4j.memoryBudget, "
            + "else EXPLAIN4J_MEMORY_BUDGET, else 1g).")
    String memoryBudget;

    @Option(names = "--no-cache", description = "Derive the backward graph again instead of reading (or writing) the "
            + "cache of derived models (README, 'Cache'; same as EXPLAIN4J_CACHE=off).")
    boolean noCache;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Folder of the cache of derived models (default: "
            + "EXPLAIN4J_CACHE_DIR, else $XDG_CACHE_HOME/explain4j, else ~/.cache/explain4j).")
    String cacheDir;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() {
        String enabledBefore = System.getProperty(CacheSettings.ENABLED);
        String dirBefore = System.getProperty(CacheSettings.DIR);
        if (noCache) {
            System.setProperty(CacheSettings.ENABLED, "off");
        }
        if (cacheDir != null) {
            if (cacheDir.isBlank()) {
                throw Explain4jException.usage("--cache-dir", "--cache-dir is empty; give a folder, or --no-cache");
            }
            System.setProperty(CacheSettings.DIR, cacheDir);
        }
        try {
            return withBudget();
        } catch (Explain4jException e) {
            throw explain.isEmpty() ? ExplainChecks.asInputName(e, inputName) : e;
        } finally {
            restore(CacheSettings.ENABLED, enabledBefore);
            restore(CacheSettings.DIR, dirBefore);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private Integer withBudget() {
        if (memoryBudget == null) {
            return run();
        }
        long bytes = MemoryBudget.parse(memoryBudget, "--memory-budget");
        String before = System.getProperty(MemoryBudget.PROPERTY);
        System.setProperty(MemoryBudget.PROPERTY, Long.toString(bytes));
        try {
            return run();
        } finally {
            if (before == null) {
                System.clearProperty(MemoryBudget.PROPERTY);
            } else {
                System.setProperty(MemoryBudget.PROPERTY, before);
            }
        }
    }

    private Integer run() {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("npy") && !fmt.equals("json")) {
            throw Explain4jException.usage("--format", "--format '" + format + "' must be npy or json");
        }
        if (audio.given() && device.given()) {
            throw Explain4jException.usage("--device", "--device " + device.value() + " does not apply to --audio yet (its "
                    + "models run on the CPU); leave --device out");
        }
        if (audio.given()) {
            spec.commandLine().getOut().println(AudioExplain.attribute(this, audio,
                    MethodOptions.given(spec.commandLine().getParseResult()), fmt));
            return 0;
        }
        audio.refuseWithoutAudio();
        if (inputs == null || inputs.isEmpty()) {
            throw Explain4jException.usage("--input", "--input or --audio is required: give the input to explain");
        }
        List<String> ex = new ArrayList<>(explain);
        if (inputName != null) {
            ex.add(0, inputName);
        }
        NamedInputs named = NamedInputs.parse(inputs, ex, batchAxes);
        for (Path in : named.files().values()) {
            refuseOverwriting(output, "--input", in);
        }
        refuseOverwriting(output, "--model", model);
        org.explain4j.core.Timeline.mark("command parsed");
        MethodSpec ms = MethodCatalog.get(method);
        // An image or CSV input is read once the model (its input shape) is known; an .npy first, so
        // the method flags are bound before loading the model and a flag that does not apply fails fast.
        boolean decoded = !named.likelyExplained().getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
        Optional<JsonNode> cardJson = ExplainInput.card(card);
        Params params = decoded ? null : ms.bind(MethodOptions.typed(ms, MethodOptions.given(spec.commandLine().getParseResult()),
                Npy.read(named.likelyExplained(), "--input")));
        org.explain4j.core.Timeline.mark("input read, parameters bound");
        ProgressListener progress = quiet ? ProgressListener.NONE : new ConsoleProgress(2_000);
        try (ModelLoader.Loaded loaded = ModelLoader.load(model, threads, device.value(), named.firstExplained(), outputName)) {
            org.explain4j.core.Timeline.mark("model loaded");
            List<String> explained = named.explained(loaded.signature());
            Map<String, Tensor> all;
            if (decoded) {
                JsonNode pre = cardJson.map(c -> c.has("preprocessing") ? c.get("preprocessing") : c).orElse(null);
                Tensor x = Inputs.read(named.explainedFile(explained.get(0)), loaded.signature(), pre);
                all = new LinkedHashMap<>();
                all.put(explained.get(0), x);
                all.putAll(named.read(loaded.signature(), explained.get(0), true));
                params = ms.bind(MethodOptions.typed(ms, MethodOptions.given(spec.commandLine().getParseResult()), x));
            } else {
                all = named.read(loaded.signature(), explained.get(0));
            }
            // every integer input, fed ones too (as the service checks them): a negative id fed to a Gather reads
            // from the end of its table whichever input it is
            TokenIds.checkAll(loaded.onnx(), all, name -> explained.size() == 1 && explained.contains(name) ? "--input"
                    : "--input " + name);
            for (String name : explained) {
                Path out = NamedInputs.outputFor(output, name, explained.size());
                try (ModelLoader.Loaded m = loaded.explaining(name)) {
                    Tensor x = NamedInputs.explainedTensor(all, name);
                    Target t = target(x.batchSize(), m.signature().outputSize());
                    Params p = explained.size() == 1 ? params
                            : ms.bind(MethodOptions.typed(ms, MethodOptions.given(spec.commandLine().getParseResult()), x));
                    AttributionMethod am = ms.create(m, p, progress);
                    org.explain4j.core.Timeline.mark("method made");
                    Attribution a = am.attribute(x, named.fed(all, name), t);
                    org.explain4j.core.Timeline.mark("attributed");
                    if (fmt.equals("json")) {
                        AttributionJson.write(a, out);
                    } else {
                        Npy.write(a.values(), out);
                    }
                    org.explain4j.core.Timeline.mark("written");
                }
                org.explain4j.core.Timeline.mark("view closed");
                spec.commandLine().getOut().println(out);
            }
        }
        org.explain4j.core.Timeline.mark("model closed");
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

    /**
     * The target for a batch of {@code n} examples: class indices are read as {@code explain} and
     * {@code evaluate} read them ({@link Targets}, the same lines for a wrong count, a negative or,
     * where the model declares its {@code classes} outputs, an out-of-range class); {@code
     * weights:...} as {@link Parse#target}; class 0 when not given.
     */
    private Target target(int n, int classes) {
        if (target == null) {
            return Target.classIndex(0);
        }
        if (target.trim().startsWith("weights:")) {
            return Parse.target(target);
        }
        int[] t = Targets.parse(target, n, "example");
        if (classes >= 0) {
            Targets.requireInRange(t, classes);
        }
        return Parse.ints("--target", target).length == 1 ? Target.classIndex(t[0]) : Target.of(t);
    }
}
