package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.IntegratedGradients;
import org.explain4j.core.model.Model;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's own examples, read from README.md at test time (no copy kept here): every
 * {@code java} block is compiled against the current API; the first (the Java API example) and the
 * function-model one are run and their results checked; the {@code explain4j attribute} command
 * line of the quick start is run on the bundled digits model.
 */
class ReadmeExampleTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern FENCE = Pattern.compile("(?m)^```(\\w*)\\n(.*?)^```", Pattern.DOTALL);
    /** Variables the snippets use without declaring them, with the types the wrapper gives them. */
    private static final Map<String, String> FREE = new LinkedHashMap<>();

    static {
        FREE.put("modelFile", "Path");
        FREE.put("inputFile", "Path");
        FREE.put("dir", "Path");
        FREE.put("model", "OnnxModel");
        FREE.put("x", "Tensor");
        FREE.put("grads", "OnnxDifferentiableModel");
    }

    @TempDir
    Path tmp;

    /** The fenced blocks of the README with the given info string ("java", "" ...), in order. */
    static List<String> blocks(String lang) throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = FENCE.matcher(Files.readString(README));
        while (m.find()) {
            if (m.group(1).equals(lang)) {
                out.add(m.group(2));
            }
        }
        return out;
    }

    @Test
    void readmeJavaApiExample_compilesRunsAndWritesIntegratedGradientsThatSumToTheOutputDifference() throws Exception {
        List<String> java = blocks("java");
        assertThat(java).as("java blocks in README.md").isNotEmpty();
        Class<?> first = compile(java, tmp.resolve("classes")).get(0);
        Path model = CliRunner.fixtures().resolve("mlp_softmax.onnx");
        Path input = CliRunner.fixtures().resolve("mlp_softmax_x.npy");
        Path dir = tmp.resolve("out");
        Files.createDirectories(dir);
        invoke(first, Map.of("modelFile", model, "inputFile", input, "dir", dir));

        // what the example writes: ig.npy and ig.json, integrated gradients with 64 steps for targets 0, 1, 2
        Tensor written = Npy.read(dir.resolve("ig.npy"));
        Tensor x = Npy.read(input);
        try (OnnxModel onnx = OnnxModel.load(model); OnnxDifferentiableModel grads = new OnnxDifferentiableModel(onnx)) {
            Tensor direct = new IntegratedGradients(grads, IntegratedGradients.Options.defaults().withSteps(64))
                    .attribute(x, Target.of(0, 1, 2)).values();
            assertThat(Reports.relativeError("ig.npy", written, direct))
                    .as("ig.npy, expected integrated gradients (64 steps) from a direct API run").isLessThanOrEqualTo(1e-6);
            Tensor fx = onnx.forward(x);
            Tensor f0 = onnx.forward(Tensor.zeros(x.dtype(), x.shape()));
            var gaps = Reports.json(dir.resolve("ig.json")).path("diagnostics").path("completeness_gap");
            assertThat(gaps.size()).as("ig.json: one completeness gap per example").isEqualTo(3);
            for (int n = 0; n < 3; n++) {
                double sum = 0;
                for (int i = 0; i < 10; i++) {
                    sum += written.getDouble(n * 10 + i);
                }
                double delta = fx.getDouble(n * 4 + n) - f0.getDouble(n * 4 + n);
                assertThat(sum).as("example %d: sum of ig.npy, expected f(x) - f(0) = %s", n, delta)
                        .isCloseTo(delta, org.assertj.core.data.Offset.offset(1e-3));
                assertThat(gaps.get(n).asDouble()).as("example %d: ig.json's completeness gap, expected sum - (f(x) - f(0))", n)
                        .isCloseTo(sum - delta, org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        assertThat(Reports.jsonValues(dir.resolve("ig.json"))).as("ig.json values, expected those of ig.npy")
                .satisfies(t -> assertThat(Reports.relativeError("ig.json", t, written)).isLessThanOrEqualTo(1e-7));
    }

    @Test
    void readmeFunctionModelExample_compilesAndScoresEachExample() throws Exception {
        List<String> java = blocks("java");
        List<Class<?>> classes = compile(java, tmp.resolve("classes"));
        int index = -1;
        for (int i = 0; i < java.size(); i++) {
            index = java.get(i).contains("FunctionModel.perExample") ? i : index;
        }
        assertThat(index).as("a README java block with FunctionModel.perExample").isNotNegative();
        // the wrapper gives the snippet score(v) = sum(v) and returns its model m
        Model m = (Model) invoke(classes.get(index), Map.of());
        double[] v = new double[20];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.5 - 3;
        }
        Tensor out = m.forward(Tensor.ofDoubles(v, 2, 10));
        assertThat(out.shape()).as("function model output shape, expected (2, 1)").containsExactly(2, 1);
        assertThat(out.getDouble(0)).as("score of example 0, expected the sum of its values").isEqualTo(-7.5);
        assertThat(out.getDouble(1)).as("score of example 1, expected the sum of its values").isEqualTo(42.5);
    }

    @Test
    void readmeAttributeCommand_runsOnTheDigitsModelAndMatchesTheApi() throws Exception {
        String line = null;
        for (String block : blocks("")) {
            for (String l : block.split("\n")) {
                if (l.startsWith("./explain4j attribute --model model.onnx")) {
                    line = l;
                }
            }
        }
        assertThat(line).as("a README command line './explain4j attribute --model model.onnx ...'").isNotNull();
        Path digits = Path.of("..", "examples", "digits");
        Map<String, String> files = Map.of("model.onnx", digits.resolve("digits_cnn.onnx").toString(),
                "x.npy", digits.resolve("digits_x.npy").toString(), "ig.npy", tmp.resolve("ig.npy").toString());
        List<String> args = new ArrayList<>();
        for (String w : Reports.shellWords(line).subList(1, Reports.shellWords(line).size())) {
            args.add(files.getOrDefault(w, w));
        }
        args.add("--quiet");
        CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as("exit code of %s (expected 0); stderr: %s", args, r.err()).isZero();
        assertThat(args).as("the README's command").contains("integrated-gradients", "--target", "3");
        try (OnnxModel onnx = OnnxModel.load(digits.resolve("digits_cnn.onnx"));
             OnnxDifferentiableModel grads = new OnnxDifferentiableModel(onnx)) {
            Tensor direct = new IntegratedGradients(grads, IntegratedGradients.Options.defaults())
                    .attribute(Npy.read(digits.resolve("digits_x.npy")), Target.classIndex(3)).values();
            assertThat(Reports.relativeError("ig.npy", Npy.read(tmp.resolve("ig.npy")), direct))
                    .as("the command's ig.npy, expected integrated gradients for class 3 from the API").isLessThanOrEqualTo(1e-6);
        }
    }

    /** Calls the wrapper's static run method, passing each parameter by name. */
    private static Object invoke(Class<?> c, Map<String, Object> values) throws Exception {
        Method run = Stream.of(c.getMethods()).filter(mm -> mm.getName().equals("run")).findFirst().orElseThrow();
        Object[] args = new Object[run.getParameterCount()];
        for (int i = 0; i < args.length; i++) {
            String name = run.getParameters()[i].getName();
            assertThat(values).as("a value for the snippet's free variable %s", name).containsKey(name);
            args[i] = values.get(name);
        }
        return run.invoke(null, args);
    }

    /** Compiles each block inside a wrapper class; returns the classes in block order. */
    private static List<Class<?>> compile(List<String> blocks, Path out) throws Exception {
        Files.createDirectories(out);
        Path src = out.resolve("src");
        Files.createDirectories(src);
        Map<String, String> types = projectTypes();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            Path f = src.resolve("ReadmeSnippet" + i + ".java");
            Files.writeString(f, wrap("ReadmeSnippet" + i, blocks.get(i), types));
            files.add(f);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK compiler (tests run on a JDK)").isNotNull();
        StringWriter log = new StringWriter();
        List<String> options = List.of("-parameters", "-classpath", classPath(), "-d", out.toString());
        try (var fm = javac.getStandardFileManager(null, null, null)) {
            boolean ok = javac.getTask(log, fm, null, options, null, fm.getJavaFileObjectsFromPaths(files)).call();
            assertThat(ok).as("README java blocks compile against the current API; javac says:%n%s", log).isTrue();
        }
        URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, ReadmeExampleTest.class.getClassLoader());
        List<Class<?>> classes = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            classes.add(loader.loadClass("readme.ReadmeSnippet" + i));
        }
        return classes;
    }

    /**
     * A class with one static {@code run} method holding the block. Its parameters are the
     * variables the block uses without declaring; it returns {@code m} when the block declares one;
     * {@code score(v)} (used by the function-model example) is the sum of v.
     */
    static String wrap(String name, String block, Map<String, String> types) {
        Set<String> imports = new LinkedHashSet<>(List.of("java.nio.file.Path", "java.nio.file.Files", "java.util.List",
                "java.util.Map"));
        Matcher id = Pattern.compile("\\b[A-Z][A-Za-z0-9]*\\b").matcher(block + " OnnxModel OnnxDifferentiableModel Tensor");
        while (id.find()) {
            if (types.containsKey(id.group())) {
                imports.add(types.get(id.group()));
            }
        }
        List<String> params = new ArrayList<>();
        for (Map.Entry<String, String> e : FREE.entrySet()) {
            boolean used = Pattern.compile("\\b" + e.getKey() + "\\b").matcher(block).find();
            boolean declared = Pattern.compile("\\b[A-Z][\\w.<>]*\\s+" + e.getKey() + "\\s*=").matcher(block).find();
            if (used && !declared) {
                params.add(e.getValue() + " " + e.getKey());
            }
        }
        boolean returnsModel = Pattern.compile("\\bModel\\s+m\\s*=").matcher(block).find();
        StringBuilder b = new StringBuilder("package readme;\n");
        imports.forEach(i -> b.append("import ").append(i).append(";\n"));
        b.append("public final class ").append(name).append(" {\n")
                .append("    public static Object run(").append(String.join(", ", params)).append(") throws Exception {\n")
                .append(block)
                .append(returnsModel ? "        return m;\n" : "        return null;\n")
                .append("    }\n")
                .append("    static double score(double[] v) { double s = 0; for (double d : v) { s += d; } return s; }\n")
                .append("}\n");
        return b.toString();
    }

    /** Simple name to qualified name of every public type in core and onnx. */
    private static Map<String, String> projectTypes() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String module : List.of("core", "onnx")) {
            Path root = Path.of("..", module, "src", "main", "java");
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(p -> p.toString().endsWith(".java") && !p.getFileName().toString().equals("package-info.java"))
                        .forEach(p -> {
                            String rel = root.relativize(p).toString().replace('/', '.').replace('\\', '.');
                            String fqn = rel.substring(0, rel.length() - ".java".length());
                            out.putIfAbsent(fqn.substring(fqn.lastIndexOf('.') + 1), fqn);
                        });
            }
        }
        return out;
    }

    /** The test class path, with the entries of a manifest-only jar (surefire's booter) expanded. */
    private static String classPath() throws IOException {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            entries.add(e);
            if (e.endsWith(".jar") && Files.isRegularFile(Path.of(e))) {
                try (JarFile jar = new JarFile(e)) {
                    Manifest mf = jar.getManifest();
                    String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
                    if (cp != null) {
                        for (String u : cp.trim().split("\\s+")) {
                            try {
                                entries.add(Path.of(new URL(new URL(Path.of(e).toUri().toString()), u).toURI()).toString());
                            } catch (java.net.URISyntaxException ex) {
                                throw new IOException(ex);
                            }
                        }
                    }
                }
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }
}
