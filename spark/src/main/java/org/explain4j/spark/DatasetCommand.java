package org.explain4j.spark;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;
import org.explain4j.cli.MethodOptions;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.viz.DependencePlot;
import org.explain4j.viz.Pictures;
import org.explain4j.viz.SummaryPlot;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code explain4j dataset}: attributions for every row of a table (CSV or Parquet) on Spark,
 * written beside the input's columns ({@code attr_<feature>}, in the input's row order), and a
 * report of global explanations (mean |attribution| per feature, overall and per group; a
 * summary plot and a dependence plot from a sample).
 */
@Command(name = "dataset", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Explains every row of a CSV or Parquet table on Spark and reports global explanations.",
        footer = {"", "Example:",
                "  explain4j dataset --input data.csv --model m.onnx --method kernel-shap --samples 200 --seed 7 "
                        + "--baseline background.csv --output attributions.csv --report report.html"})
public final class DatasetCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "DATA.csv|DATA.parquet",
            description = "The rows: a CSV file with a header (one column per feature) or a Parquet file/folder.")
    String input;

    @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "ONNX model (never modified).")
    String model;

    @Option(names = "--method", required = true, paramLabel = "METHOD", description = "Attribution method (explain4j methods).")
    String method;

    @Option(names = "--features", paramLabel = "A,B,..", split = ",",
            description = "The feature columns, in the model's order (default: every column but --target-col and --group-by).")
    List<String> features;

    @Option(names = "--target", paramLabel = "T", description = "Class index explained for every row (default 0).")
    Integer target;

    @Option(names = "--target-col", paramLabel = "COL", description = "Column holding each row's class index to explain.")
    String targetCol;

    @Option(names = "--group-by", paramLabel = "COL",
            description = "Column whose values group the mean |attribution| table (default: --target-col, if given).")
    String groupBy;

    @Option(names = "--output", required = true, paramLabel = "OUT.csv|OUT.parquet",
            description = "The input's columns plus attr_<feature> per feature, in the input's row order.")
    Path output;

    @Option(names = "--report", paramLabel = "REPORT.html", description = "Global explanations as a self-contained HTML page.")
    Path report;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master: local[*] (default), local[N] or spark://host:port.")
    String master = "local[*]";

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions to spread the rows over (default: Spark's).")
    Integer partitions;

    @Option(names = "--rows-per-call", paramLabel = "N", description = "Rows explained together per method call (default 64).")
    int rowsPerCall = 64;

    @Option(names = "--on-error", paramLabel = "fail|diagnose", description = "A row that cannot be explained fails the "
            + "job, naming it (fail, default), or gets empty attr_ cells and its error in the column explain4j_error.")
    String onError = "fail";

    @Option(names = "--sample", paramLabel = "N", description = "Rows drawn (seeded) for the report's plots (default 1000).")
    int sample = 1000;

    @Option(names = "--spread", description = "Spread each row's model evaluations over the cluster's tasks (perturbation "
            + "methods; for few rows with a large budget, e.g. --samples 20000 on 10 rows). The rows are collected to the "
            + "driver; --partitions then sets the scoring tasks.")
    boolean spread;

    @Option(names = "--spread-max-values", paramLabel = "N", description = "With --spread: the most perturbed input values "
            + "held on the driver at once (default 50000000).")
    Long spreadMaxValues;

    @Option(names = "--jars", paramLabel = "A.jar,B.jar", description = "Jars the executors need (default: this module's jar "
            + "and its explain4j dependencies, found beside it); only for a spark:// master.")
    String jars;

    private static final String ROW = "__explain4j_row";
    private static final String FEATURES = "__explain4j_x";
    private static final String ATTR = "__explain4j_attr";
    private static final String DIAG = "__explain4j_diag";
    private static final String TARGET = "__explain4j_target";

    @Option(names = "--verbose", description = "Spark's warnings and errors on stderr, and stack traces with errors "
            + "(default: only explain4j's one-line error).")
    boolean verbose;

    /**
     * Configures logging before Spark starts: Spark's own lines off (WARN and above with
     * {@code verbose}), so that a failure reaches stderr as explain4j's one-line error alone.
     * Spark keeps a configuration that already has an appender, so it does not load its defaults.
     */
    static void quietLogs(boolean verbose) {
        java.net.URL config = DatasetCommand.class.getResource("log4j2-dataset.properties");
        try {
            org.apache.logging.log4j.core.config.Configurator.reconfigure(config.toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("the bundled logging configuration has a bad address: " + config, e);
        }
        org.apache.logging.log4j.core.config.Configurator.setRootLevel(verbose
                ? org.apache.logging.log4j.Level.WARN : org.apache.logging.log4j.Level.OFF);
    }

    @Override
    public Integer call() throws IOException {
        quietLogs(verbose);
        String format = format(input, "--input");
        String outFormat = format(output.toString(), "--output");
        if (Files.exists(output)) {
            throw Explain4jException.usage("--output", "--output " + output + " exists; choose a new path (it is never "
                    + "overwritten)");
        }
        if (!onError.equals("fail") && !onError.equals("diagnose")) {
            throw Explain4jException.usage("--on-error", "--on-error '" + onError + "' must be fail or diagnose");
        }
        if (partitions != null && partitions < 1) {
            throw Explain4jException.usage("--partitions", "--partitions must be at least 1 (got " + partitions + ")");
        }
        if (sample < 1) {
            throw Explain4jException.usage("--sample", "--sample must be at least 1 row (got " + sample + ")");
        }
        if (rowsPerCall < 1) {
            throw Explain4jException.usage("--rows-per-call", "--rows-per-call must be at least 1 (got " + rowsPerCall + ")");
        }
        if (spreadMaxValues != null && !spread) {
            throw Explain4jException.usage("--spread-max-values", "--spread-max-values applies with --spread; add --spread "
                    + "or drop it");
        }
        if (spreadMaxValues != null && spreadMaxValues < 1) {
            throw Explain4jException.usage("--spread-max-values", "--spread-max-values must be at least 1 (got "
                    + spreadMaxValues + ")");
        }
        Map<String, String> params = new LinkedHashMap<>(MethodOptions.given(spec.commandLine().getParseResult()));
        String baselineTable = params.containsKey("baseline") && format(params.get("baseline"), null) != null
                ? params.remove("baseline") : null;
        // Built (and so checked by the catalogue) before Spark starts: a wrong flag fails fast.
        OnnxAttribution stage;
        try {
            stage = new OnnxAttribution().setMethodParams(params).setSpreadEvaluations(spread).setMethod(method)
                    .setBatchSize(rowsPerCall).setOnError(onError).setIdCol(ROW).setOutputCol(ATTR).setDiagnosticsCol(DIAG);
            if (spread && partitions != null) {
                stage.setSpreadPartitions(partitions);
            }
            if (spreadMaxValues != null) {
                stage.setSpreadMaxValues(spreadMaxValues);
            }
        } catch (Explain4jException e) {
            throw asFlags(e);
        }
        stage.setModelPath(Path.of(model).toAbsolutePath().toUri().toString());
        if (!Files.isRegularFile(Path.of(model))) {
            throw Explain4jException.file("--model", "--model file not found: " + model + "; check the path");
        }
        SparkSession.Builder b = SparkSession.builder().appName("explain4j dataset").master(master)
                .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC").config("spark.log.level", verbose ? "WARN" : "OFF");
        if (master.startsWith("spark://")) {
            b.config("spark.jars", jars != null ? jars : String.join(",", ModuleJars.forExecutors()));
        }
        SparkSession spark = b.getOrCreate();
        spark.sparkContext().setLogLevel(verbose ? "WARN" : "OFF");
        try {
            return run(spark, stage, baselineTable, outFormat, format);
        } catch (Exception e) { // Spark's SparkException is checked but thrown undeclared from Scala
            // a task's error (a row that cannot be explained) arrives wrapped in Spark's; report it as itself
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof Explain4jException x) {
                    throw asFlags(x);
                }
            }
            // Spark may keep only the text of a task's exception: take explain4j's line, kind and argument from it
            String m = String.valueOf(e.getMessage());
            Explain4jException x = RowFailure.parse(m);
            if (x != null) {
                throw asFlags(x);
            }
            String marker = Explain4jException.class.getName() + ": ";
            int at = m.indexOf(marker);
            if (at >= 0) { // another explain4j error of a task: its kind and argument are lost with it
                throw asFlags(Explain4jException.usage("--input", m.substring(at + marker.length())
                        .split("\n|\tat ", 2)[0].trim()));
            }
            throw e;
        } finally {
            spark.stop();
        }
    }

    /**
     * The error with the stage's argument names turned into this command's flags (a row's input
     * is --input, its target --target-col or --target, the background --baseline ...) and the
     * stage's advice into the flag's, keeping its kind (and so the exit code).
     */
    Explain4jException asFlags(Explain4jException e) {
        String a = e.argument() == null ? "" : e.argument();
        String flag = switch (a) {
            case "inputCol", "inputCols", "input", "data" -> "--input";
            case "targetCol" -> "--target-col";
            case "target" -> targetCol != null ? "--target-col" : "--target";
            case "background", "baselineCol" -> "--baseline";
            case "modelPath", "modelBytes", "model" -> "--model";
            case "method" -> "--method";
            case "onError", "diagnosticsCol" -> "--on-error";
            case "batchSize" -> "--rows-per-call";
            case "spreadEvaluations" -> "--spread";
            case "spreadMaxValues" -> "--spread-max-values";
            case "spreadPartitions" -> "--partitions";
            default -> a.isEmpty() || a.startsWith("--") ? a : "--" + a;
        };
        String m = e.getMessage().replace("set onError to 'diagnose'", "pass --on-error diagnose")
                .replace("spreadEvaluations: ", "--spread: ")
                .replace("turn spreadEvaluations off", "drop --spread")
                .replace("without spreadEvaluations", "without --spread")
                .replace("raise spreadMaxValues", "raise --spread-max-values")
                .replace("(spreadMaxValues)", "(--spread-max-values)")
                .replace("spreadMaxValues", "--spread-max-values").replace("spreadPartitions", "--partitions")
                .replace("spreadEvaluations", "--spread");
        if (flag.equals(a) && m.equals(e.getMessage())) {
            return e;
        }
        return new Explain4jException(e.kind(), flag, m, e);
    }

    private Integer run(SparkSession spark, OnnxAttribution stage, String baselineTable, String outFormat, String format)
            throws IOException {
        try {
            Dataset<Row> raw = read(spark, input, format, "--input");
            List<String> feats = features != null ? features : defaultFeatures(raw);
            Dataset<Row> df = numbered(raw).withColumn(FEATURES, array(featureColumns(raw, feats, "--features")));
            if (partitions != null) {
                df = df.repartition(partitions);
            }
            stage.setInputCol(FEATURES);
            if (targetCol != null) {
                if (!List.of(raw.columns()).contains(targetCol)) {
                    throw Explain4jException.usage("--target-col", "--target-col '" + targetCol + "' is not in the table; "
                            + "its columns are " + String.join(", ", raw.columns()));
                }
                // CSV cells are text: a cell that is not an integer becomes null, which is that row's error
                df = df.withColumn(TARGET, col(targetCol).cast("int"));
                stage.setTargetCol(TARGET);
            } else if (target != null) {
                stage.setTarget(target);
            }
            if (baselineTable != null) {
                Dataset<Row> bg = read(spark, baselineTable, format(baselineTable, "--baseline"), "--baseline");
                stage.setBackground(bg.withColumn(FEATURES, array(featureColumns(bg, feats, "--baseline"))));
            }
            Dataset<Row> explained = stage.transform(df).persist(StorageLevel.MEMORY_AND_DISK());
            List<Column> outCols = new ArrayList<>();
            for (String c : raw.columns()) {
                outCols.add(col(c));
            }
            for (int j = 0; j < feats.size(); j++) {
                outCols.add(col(ATTR).getItem(j).as("attr_" + feats.get(j)));
            }
            if (onError.equals("diagnose")) {
                outCols.add(col(DIAG + ".error").as("explain4j_error"));
            }
            Dataset<Row> out = explained.orderBy(ROW).select(outCols.toArray(Column[]::new));
            if (outFormat.equals("csv")) {
                writeCsv(out, output);
            } else {
                // one file, so that reading it back gives the rows in order (Spark orders several files by size)
                out.coalesce(1).write().parquet(output.toString());
            }
            spec.commandLine().getOut().println(output);
            if (report != null) {
                writeReport(explained, feats);
                spec.commandLine().getOut().println(report);
            }
            explained.unpersist();
        } catch (Exception e) { // SparkException too (checked, thrown undeclared)
            deleteQuietly(output); // no partial output is left behind
            throw e;
        }
        return 0;
    }

    private static void deleteQuietly(Path p) {
        try {
            if (Files.isDirectory(p)) {
                try (var walk = Files.walk(p)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            } else {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // the original error matters more
        }
    }

    static String format(String path, String flag) {
        String p = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
        if (p.endsWith(".csv")) {
            return "csv";
        }
        if (p.endsWith(".parquet")) {
            return "parquet";
        }
        if (flag == null) {
            return null;
        }
        throw Explain4jException.usage(flag, flag + " " + path + " must end in .csv or .parquet");
    }

    private static Dataset<Row> read(SparkSession spark, String path, String format, String flag) {
        if (!Files.exists(Path.of(path)) && !path.contains("://")) {
            throw Explain4jException.file(flag, flag + " " + path + " does not exist; check the path");
        }
        // CSV cells stay text: written back exactly as read; features are parsed as numbers for the model
        return format.equals("csv") ? spark.read().option("header", "true").option("inferSchema", "false").csv(path)
                : spark.read().parquet(path);
    }

    private List<String> defaultFeatures(Dataset<Row> raw) {
        List<String> out = new ArrayList<>();
        for (String c : raw.columns()) {
            if (!c.equals(targetCol) && !c.equals(groupBy)) {
                out.add(c);
            }
        }
        return out;
    }

    private static Column[] featureColumns(Dataset<Row> raw, List<String> feats, String flag) {
        List<String> names = List.of(raw.columns());
        Column[] out = new Column[feats.size()];
        for (int j = 0; j < feats.size(); j++) {
            String f = feats.get(j);
            if (!names.contains(f)) {
                throw Explain4jException.usage(flag, flag + ": column '" + f + "' is not in the table; its columns are "
                        + String.join(", ", names));
            }
            StructField field = raw.schema().apply(f);
            if (!(field.dataType() instanceof NumericType) && !field.dataType().equals(DataTypes.StringType)) {
                throw Explain4jException.dtype(flag, flag + ": column '" + f + "' is " + field.dataType().simpleString()
                        + ", not a number");
            }
            out[j] = col(f).cast("double");
        }
        return out;
    }

    /** The rows numbered in the input's order (0, 1, ...). */
    private static Dataset<Row> numbered(Dataset<Row> raw) {
        List<StructField> fields = new ArrayList<>(List.of(raw.schema().fields()));
        fields.add(DataTypes.createStructField(ROW, DataTypes.LongType, false));
        var rdd = raw.javaRDD().zipWithIndex().map(t -> {
            Row r = t._1();
            Object[] cells = new Object[r.length() + 1];
            for (int i = 0; i < r.length(); i++) {
                cells[i] = r.get(i);
            }
            cells[r.length()] = t._2();
            return org.apache.spark.sql.RowFactory.create(cells);
        });
        return raw.sparkSession().createDataFrame(rdd, DataTypes.createStructType(fields));
    }

    /** One CSV file, rows in order; numbers written so they parse back to the same value. */
    static void writeCsv(Dataset<Row> out, Path file) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            String[] cols = out.columns();
            for (int i = 0; i < cols.length; i++) {
                w.write((i == 0 ? "" : ",") + quote(cols[i]));
            }
            w.write("\n");
            Iterator<Row> it = out.toLocalIterator();
            StringBuilder line = new StringBuilder();
            while (it.hasNext()) {
                Row r = it.next();
                line.setLength(0);
                for (int i = 0; i < r.length(); i++) {
                    if (i > 0) {
                        line.append(',');
                    }
                    if (!r.isNullAt(i)) {
                        Object v = r.get(i);
                        // Double.toString and Float.toString give a text that parses back to the same value
                        line.append(v instanceof Double || v instanceof Float ? v.toString() : quote(String.valueOf(v)));
                    }
                }
                line.append('\n');
                w.write(line.toString());
            }
        }
    }

    private static String quote(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    private void writeReport(Dataset<Row> explained, List<String> feats) throws IOException {
        String group = groupBy != null ? groupBy : targetCol;
        List<GlobalExplanations.Importance> imp = GlobalExplanations.meanAbs(explained, ATTR, group, feats.size());
        List<String> featureCols = new ArrayList<>();
        for (int j = 0; j < feats.size(); j++) {
            featureCols.add(feats.get(j));
        }
        GlobalExplanations.Sample s = GlobalExplanations.sample(explained, featureCols,
                ATTR, sample, 7);
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>explain4j dataset report</title><style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}")
                .append("</style></head><body>");
        h.append("<h1>Global explanations</h1><p>Model <code>").append(esc(model)).append("</code>, method <code>")
                .append(esc(MethodCatalog.get(method).name())).append("</code>, input <code>").append(esc(input))
                .append("</code>, ").append(imp.isEmpty() ? 0 : imp.get(0).rows()).append(" rows explained.</p>");
        h.append("<h2>Mean |attribution| per feature</h2><table><tr><th>feature</th>");
        for (GlobalExplanations.Importance i : imp) {
            h.append("<th>").append(esc(i.group().equals("all") && imp.indexOf(i) == 0 ? "all rows"
                    : group + " = " + i.group())).append(" (").append(i.rows()).append(")</th>");
        }
        h.append("</tr>");
        double[] overall = imp.isEmpty() ? new double[feats.size()] : imp.get(0).meanAbs();
        Integer[] order = new Integer[feats.size()];
        for (int j = 0; j < order.length; j++) {
            order[j] = j;
        }
        java.util.Arrays.sort(order, (a, c) -> Double.compare(overall[c], overall[a]));
        for (int j : order) {
            h.append("<tr><th>").append(esc(feats.get(j))).append("</th>");
            for (GlobalExplanations.Importance i : imp) {
                h.append("<td>").append(String.format(Locale.ROOT, "%.4g", i.meanAbs()[j])).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table>");
        if (s.attributions().length > 0) {
            SummaryPlot sp = SummaryPlot.of("Summary: " + s.attributions().length + " sampled rows", feats, s.attributions(),
                    s.values(), 20);
            h.append("<h2>Summary</h2><img alt=\"summary plot\" src=\"").append(Pictures.pngDataUri(sp.render()))
                    .append("\">");
            int top = order[0];
            int second = order.length > 1 ? order[1] : order[0];
            double[] v = new double[s.values().length];
            double[] a = new double[v.length];
            double[] c = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = s.values()[i][top];
                a[i] = s.attributions()[i][top];
                c[i] = s.values()[i][second];
            }
            DependencePlot dp = DependencePlot.of(feats.get(top), v, a, feats.get(second), c);
            h.append("<h2>Dependence of the top feature</h2><img alt=\"dependence plot\" src=\"")
                    .append(Pictures.pngDataUri(dp.render())).append("\">");
        }
        h.append("</body></html>\n");
        if (report.toAbsolutePath().getParent() != null) {
            Files.createDirectories(report.toAbsolutePath().getParent());
        }
        Files.writeString(report, h.toString(), StandardCharsets.UTF_8);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** The command with one flag per catalogue parameter. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new DatasetCommand());
        MethodOptions.addTo(cl.getCommandSpec());
        return cl;
    }
}
