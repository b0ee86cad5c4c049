package org.explain4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.explain4j.core.Explain4jException;
import picocli.CommandLine;

/**
 * What {@code explain} and {@code demo} check before any work: the output folder (a folder, writable,
 * holding none of the user's own files under a name they write), the method list, the batch size
 * and flags that do not apply to the kind of input. Each refusal is one line naming
 * the flag and the fix.
 */
final class ExplainChecks {
    private ExplainChecks() {
    }

    /** Creates {@code out} if needed; refuses a path that is a file or a folder that cannot be written. */
    static void outFolder(Path out) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw Explain4jException.usage("--out", "--out " + out + " is a file; give a folder (created if missing)");
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw Explain4jException.file("--out", "--out " + out + " cannot be created (" + Main.oneLine(e.toString())
                    + "); choose a folder you can write");
        }
        if (!Files.isWritable(out)) {
            throw Explain4jException.file("--out", "--out " + out + " is not writable; choose a folder you can write");
        }
    }

    /** The file names explain writes into its folder for these methods. */
    static boolean written(String fileName, List<String> methods) {
        if (Set.of("input.npy", "report.html", "overview.png", "evaluation.json", "patches.npy", "references.npy")
                .contains(fileName) || fileName.startsWith("evaluation-")) {
            return true;
        }
        for (String m : methods) {
            for (String ext : List.of(".npy", ".json", ".png", ".svg", ".html")) {
                if (fileName.equals(m + ext)) {
                    return true;
                }
            }
            if (fileName.endsWith("." + m + ".npy")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses a user's file ({@code flag}: {@code path}) lying in {@code out} under a name explain
     * writes there: writing the results would destroy it.
     */
    static void refuseOverwriting(Path out, List<String> methods, String flag, Path file) {
        if (file == null || file.getFileName() == null) {
            return;
        }
        Path parent = file.toAbsolutePath().normalize().getParent();
        boolean inside = parent != null && parent.equals(out.toAbsolutePath().normalize());
        try {
            inside = inside || (parent != null && Files.exists(out) && Files.isSameFile(parent, out));
        } catch (IOException e) {
            // not the same folder if either cannot be resolved
        }
        if (inside && written(file.getFileName().toString(), methods)) {
            throw Explain4jException.usage("--out", "--out " + out + " holds the " + flag + " file " + file.getFileName()
                    + ", which explain would overwrite with its results; choose another --out folder");
        }
    }

    /** The comma-separated method names, trimmed; an empty or repeated name is refused. */
    static List<String> methods(String text) {
        Set<String> seen = new LinkedHashSet<>();
        for (String raw : text.split(",", -1)) {
            String n = raw.trim();
            if (n.isEmpty()) {
                throw Explain4jException.usage("--methods", "--methods '" + text + "' has an empty name; give names "
                        + "separated by commas, e.g. --methods saliency,occlusion");
            }
            if (!seen.add(n)) {
                throw Explain4jException.usage("--methods", "--methods names " + n + " twice; name each method once");
            }
        }
        return new ArrayList<>(seen);
    }

    /** {@code auto} or a positive number of rows. */
    static String batchSize(String text) {
        if (text == null || text.trim().equalsIgnoreCase("auto")) {
            return "auto";
        }
        int b;
        try {
            b = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw Explain4jException.usage("--batch-size", "--batch-size '" + text + "' must be auto or a positive integer");
        }
        if (b <= 0) {
            throw Explain4jException.usage("--batch-size", "--batch-size " + b + " must be auto or at least 1");
        }
        return text.trim();
    }

    /** Refuses each of {@code flags} that was given on the command line: it does not apply ({@code why}). */
    static void refuseGiven(CommandLine.ParseResult given, String why, String... flags) {
        for (String f : flags) {
            if (given.hasMatchedOption(f)) {
                throw Explain4jException.usage(f, f + " does not apply " + why + "; leave it out");
            }
        }
    }

    /**
     * An error about {@code --explain} raised while the user named the input with {@code --input-name}
     * (its alias) is reworded to name {@code --input-name}; others pass unchanged.
     */
    static Explain4jException asInputName(Explain4jException e, String inputName) {
        if (inputName == null || !"--explain".equals(e.argument())) {
            return e;
        }
        return new Explain4jException(e.kind(), "--input-name", e.getMessage().replace("--explain", "--input-name"), e);
    }
}
