package org.explain4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.model.ModelSignature;

/**
 * The command line's model inputs: {@code --input x.npy} (the explained input) or
 * {@code --input NAME=FILE} (repeated, one per model input), {@code --explain NAME[,NAME]} (which
 * of them are explained; the others are fed as given) and {@code --batch-axis NAME=K|none}.
 */
final class NamedInputs {
    /** The key of the input given without a name. */
    static final String UNNAMED = "";

    private final Map<String, Path> files;
    private final List<String> explain;
    private final Map<String, Integer> axes;

    private NamedInputs(Map<String, Path> files, List<String> explain, Map<String, Integer> axes) {
        this.files = files;
        this.explain = explain;
        this.axes = axes;
    }

    /** Parses the flags' texts (the lists may be empty, never null). */
    static NamedInputs parse(List<String> inputs, List<String> explain, List<String> batchAxes) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String text : inputs) {
            int eq = text.indexOf('=');
            boolean named = eq > 0 && !Files.exists(Path.of(text));
            String name = named ? text.substring(0, eq).trim() : UNNAMED;
            Path file = Path.of(named ? text.substring(eq + 1).trim() : text.trim());
            if (files.containsKey(name)) {
                throw Explain4jException.usage("--input", name.isEmpty()
                        ? "--input is given twice without a name; name the model's inputs (--input NAME=FILE)"
                        : "--input " + name + " is given twice; give each model input once");
            }
            files.put(name, file);
        }
        List<String> ex = new ArrayList<>();
        for (String e : explain) {
            for (String part : e.split(",")) {
                if (!part.isBlank() && !ex.contains(part.trim())) {
                    ex.add(part.trim());
                }
            }
        }
        if (files.containsKey(UNNAMED) && ex.size() > 1) {
            throw Explain4jException.usage("--explain", "--explain names " + ex.size() + " inputs but an --input has no "
                    + "name; give each explained input as --input NAME=FILE");
        }
        Map<String, Integer> axes = new LinkedHashMap<>();
        for (String a : batchAxes) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw Explain4jException.usage("--batch-axis", "--batch-axis '" + a + "' must be NAME=K or NAME=none");
            }
            String v = a.substring(eq + 1).trim();
            int axis;
            if (v.equalsIgnoreCase("none")) {
                axis = FedInputs.AS_IS;
            } else {
                try {
                    axis = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    throw Explain4jException.usage("--batch-axis", "--batch-axis '" + a + "' must be NAME=K (a dimension "
                            + "index) or NAME=none");
                }
            }
            axes.put(a.substring(0, eq).trim(), axis);
        }
        return new NamedInputs(files, ex, axes);
    }

    /** Every file given, by name ({@link #UNNAMED} for the one without a name). */
    Map<String, Path> files() {
        return files;
    }

    /** The command-line arguments that give the fed inputs and batch axes again (for "Reproduce" commands). */
    List<String> fedArgs(String explained) {
        List<String> args = new ArrayList<>();
        files.forEach((k, v) -> {
            if (!k.isEmpty() && !k.equals(explained)) {
                args.add("--input");
                args.add(k + "=" + v.toAbsolutePath().normalize());
            }
        });
        axes.forEach((k, v) -> {
            args.add("--batch-axis");
            args.add(k + "=" + (v == FedInputs.AS_IS ? "none" : String.valueOf(v)));
        });
        if (!args.isEmpty()) {
            // the explained input is given without a name in such a command: say which it is
            args.add("--explain");
            args.add(explained);
        }
        return args;
    }

    /** The input to name when the model is loaded, before its signature is known (null: the model's default). */
    String firstExplained() {
        return explain.isEmpty() ? null : explain.get(0);
    }

    /** A file that is probably the explained input, for reading the method flags before the model is loaded. */
    Path likelyExplained() {
        if (files.containsKey(UNNAMED)) {
            return files.get(UNNAMED);
        }
        if (!explain.isEmpty() && files.containsKey(explain.get(0))) {
            return files.get(explain.get(0));
        }
        return files.values().iterator().next();
    }

    /** The explained inputs' names, once the model (loaded explaining the first) is known. */
    List<String> explained(ModelSignature sig) {
        if (!explain.isEmpty()) {
            for (String e : explain) {
                if (sig.input(e).isEmpty()) {
                    throw Explain4jException.usage("--explain", "--explain " + e + ": the model has no input named '" + e
                            + "'; its inputs are " + names(sig));
                }
            }
            return explain;
        }
        return List.of(sig.inputName());
    }

    /** The tensor of each input given, by the model's input name (the unnamed one is {@code explained}). */
    Map<String, Tensor> read(ModelSignature sig, String explained) {
        return read(sig, explained, false);
    }

    /**
     * The tensor of each input given as {@link #read(ModelSignature, String)}, but without the
     * explained one where {@code skipExplained} (read by the caller, e.g. an image).
     */
    Map<String, Tensor> read(ModelSignature sig, String explained, boolean skipExplained) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Path> f : files.entrySet()) {
            String name = f.getKey().isEmpty() ? explained : f.getKey();
            if (skipExplained && name.equals(explained)) {
                continue;
            }
            if (sig.input(name).isEmpty()) {
                throw Explain4jException.usage("--input", "--input " + name + ": the model has no input named '" + name
                        + "'; its inputs are " + names(sig));
            }
            if (out.containsKey(name)) {
                throw Explain4jException.usage("--input", "--input " + name + " is given twice (once without a name)");
            }
            out.put(name, Npy.read(f.getValue(), "--input " + name));
        }
        return out;
    }

    /** The file of the explained input {@code name}. */
    Path explainedFile(String name) {
        Path p = files.containsKey(name) ? files.get(name) : files.get(UNNAMED);
        if (p == null) {
            throw Explain4jException.usage("--input", "--input " + name + "=FILE is missing: '" + name
                    + "' is explained, so give its values");
        }
        return p;
    }

    /** The tensor of the explained input {@code name} among {@code all}. */
    static Tensor explainedTensor(Map<String, Tensor> all, String name) {
        Tensor t = all.get(name);
        if (t == null) {
            throw Explain4jException.usage("--input", "--input " + name + "=FILE is missing: '" + name
                    + "' is explained, so give its values");
        }
        return t;
    }

    /** Every input but {@code explained}, fed as given, with the batch axes set by {@code --batch-axis}. */
    FedInputs fed(Map<String, Tensor> all, String explained) {
        Map<String, Tensor> others = new LinkedHashMap<>(all);
        others.remove(explained);
        FedInputs f = FedInputs.of(others);
        for (Map.Entry<String, Integer> a : axes.entrySet()) {
            if (!others.containsKey(a.getKey())) {
                throw Explain4jException.usage("--batch-axis", "--batch-axis " + a.getKey() + ": not a fed input; fed "
                        + "inputs are " + List.copyOf(others.keySet()));
            }
            f = f.withBatchAxis(a.getKey(), a.getValue());
        }
        return f;
    }

    /** Where the result of explaining {@code name} goes: {@code out} itself for one explained input. */
    static Path outputFor(Path out, String name, int explainedCount) {
        if (explainedCount == 1) {
            return out;
        }
        String file = out.getFileName().toString();
        int dot = file.lastIndexOf('.');
        String safe = name.replaceAll("[^A-Za-z0-9_.-]", "_");
        String renamed = dot > 0 ? file.substring(0, dot) + "." + safe + file.substring(dot) : file + "." + safe;
        return out.resolveSibling(renamed);
    }

    private static List<String> names(ModelSignature sig) {
        return sig.inputs().stream().map(i -> i.name()).toList();
    }
}
