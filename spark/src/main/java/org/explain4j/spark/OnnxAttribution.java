package org.explain4j.spark;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Need;
import org.explain4j.core.catalog.Output;
import org.explain4j.core.catalog.ParamSpec;

/**
 * A Spark ML {@link Transformer} that adds each row's attribution (explain4j, an ONNX model) as a
 * column. The method and its parameters are named as in the catalogue ({@code explain4j methods})
 * and checked, with the catalogue's messages, when they are set and again when the stage's
 * schema is checked; the model comes from any Hadoop-compatible path or from bytes. The model is
 * broadcast once; each executor JVM opens it once (cached by SHA-256) and explains each
 * partition's rows {@code batchSize} at a time. With a seed, each row's result is bit-identical to
 * {@code explain4j attribute} on that row alone, whatever the partitioning and batch size.
 *
 * <pre>{@code
 * OnnxAttribution shap = new OnnxAttribution().setModelPath("hdfs:///models/m.onnx")
 *     .setMethod("kernel-shap").setMethodParam("samples", "200").setSeed(7)
 *     .setInputCol("features").setTargetCol("label").setOutputCol("shap");
 * Dataset<Row> explained = shap.transform(df);
 * }</pre>
 */
public final class OnnxAttribution extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> modelPath;
    private final Param<String> modelBase64;
    private final Param<String> modelInput;
    private final Param<String> modelOutput;
    private final Param<String> method;
    private final StringArrayParam methodParams;
    private final Param<String> inputCol;
    private final StringArrayParam inputCols;
    private final Param<String> targetCol;
    private final IntParam target;
    private final Param<String> baselineCol;
    private final DoubleArrayParam backgroundValues;
    private final IntArrayParam backgroundShape;
    private final Param<String> outputCol;
    private final Param<String> diagnosticsCol;
    private final Param<String> idCol;
    private final IntParam batchSize;
    private final LongParam seed;
    private final Param<String> onError;
    private final BooleanParam spreadEvaluations;
    private final IntParam spreadPartitions;
    private final LongParam spreadMaxValues;
    /** The model read, hashed and broadcast by the last transform, reused while the file and session are the same. */
    private transient volatile LoadedModel loaded;

    /** A model read on the driver: where from, the file's length and time when read, its SHA and broadcast. */
    private record LoadedModel(org.apache.spark.SparkContext context, String source, long length, long modified,
                               String sha, org.apache.spark.broadcast.Broadcast<byte[]> bytes) {
    }

    public OnnxAttribution() {
        this(Identifiable$.MODULE$.randomUID("onnxAttribution"));
    }

    public OnnxAttribution(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "the ONNX model: any Hadoop-compatible path (file:, hdfs:, s3a: ...)");
        modelBase64 = new Param<>(this, "modelBase64", "the ONNX model's bytes, base64 (setModelBytes)");
        modelInput = new Param<>(this, "modelInput", "the model input to explain (default: its only floating input)");
        modelOutput = new Param<>(this, "modelOutput", "the model output to explain (default: its first)");
        method = new Param<>(this, "method", "attribution method by catalogue name, e.g. kernel-shap");
        methodParams = new StringArrayParam(this, "methodParams", "the method's parameters as name=value, catalogue names");
        inputCol = new Param<>(this, "inputCol", "input column: array<float|double>, nested arrays for images, or an ml Vector");
        inputCols = new StringArrayParam(this, "inputCols", "input columns, one numeric column per feature (assembled in order)");
        targetCol = new Param<>(this, "targetCol", "integer column: the class index to explain, per row");
        target = new IntParam(this, "target", "the class index to explain for every row (default 0)");
        baselineCol = new Param<>(this, "baselineCol", "column with one baseline per row, in the input's layout");
        backgroundValues = new DoubleArrayParam(this, "backgroundValues", "reference rows (setBackground), flattened");
        backgroundShape = new IntArrayParam(this, "backgroundShape", "shape of the reference rows: (K, elements)");
        outputCol = new Param<>(this, "outputCol", "output column: the attribution, in the input's layout (doubles)");
        diagnosticsCol = new Param<>(this, "diagnosticsCol", "optional column struct<error, completenessGap> per row");
        idCol = new Param<>(this, "idCol", "optional column naming a row in errors");
        batchSize = new IntParam(this, "batchSize", "rows explained together per method call (at least 1)");
        seed = new LongParam(this, "seed", "seed of a stochastic method: the same seed gives bit-identical results");
        onError = new Param<>(this, "onError", "a row that cannot be explained: fail (the job fails, naming the row) or "
                + "diagnose (null attribution, the error in diagnosticsCol)");
        spreadEvaluations = new BooleanParam(this, "spreadEvaluations", "spread each row's model evaluations over the "
                + "cluster's tasks (explode, score, regroup): for perturbation methods with a large budget on few rows");
        spreadPartitions = new IntParam(this, "spreadPartitions", "tasks the spread evaluations are scored in (0: Spark's "
                + "default parallelism)");
        spreadMaxValues = new LongParam(this, "spreadMaxValues", "the most perturbed input values the driver holds at "
                + "once with spreadEvaluations (rows are processed in groups under it; one row over it is refused)");
        setDefault(spreadEvaluations, false);
        setDefault(spreadPartitions, 0);
        setDefault(spreadMaxValues, 50_000_000L);
        setDefault(target, 0);
        setDefault(outputCol, "attribution");
        setDefault(batchSize, 64);
        setDefault(onError, "fail");
        setDefault(methodParams, new String[0]);
    }

    @Override
    public String uid() {
        return uid;
    }

    // ---- params (public accessors: Spark finds params through them) ----

    public Param<String> modelPath() {
        return modelPath;
    }

    public Param<String> modelBase64() {
        return modelBase64;
    }

    public Param<String> modelInput() {
        return modelInput;
    }

    public Param<String> modelOutput() {
        return modelOutput;
    }

    public Param<String> method() {
        return method;
    }

    public StringArrayParam methodParams() {
        return methodParams;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public StringArrayParam inputCols() {
        return inputCols;
    }

    public Param<String> targetCol() {
        return targetCol;
    }

    public IntParam target() {
        return target;
    }

    public Param<String> baselineCol() {
        return baselineCol;
    }

    public DoubleArrayParam backgroundValues() {
        return backgroundValues;
    }

    public IntArrayParam backgroundShape() {
        return backgroundShape;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public Param<String> diagnosticsCol() {
        return diagnosticsCol;
    }

    public Param<String> idCol() {
        return idCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public LongParam seed() {
        return seed;
    }

    public Param<String> onError() {
        return onError;
    }

    public BooleanParam spreadEvaluations() {
        return spreadEvaluations;
    }

    public IntParam spreadPartitions() {
        return spreadPartitions;
    }

    public LongParam spreadMaxValues() {
        return spreadMaxValues;
    }

    // ---- setters ----

    /** Sets {@code param} and returns this stage (the setters' common tail). */
    private <T> OnnxAttribution put(Param<T> param, T value) {
        set(param, value);
        return this;
    }

    public OnnxAttribution setModelPath(String path) {
        return put(modelPath, path);
    }

    /** The model's bytes (kept with the stage when it is saved). */
    public OnnxAttribution setModelBytes(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw Explain4jException.usage("modelBytes", "modelBytes is empty; pass the bytes of an .onnx model");
        }
        return put(modelBase64, Base64.getEncoder().encodeToString(bytes));
    }

    public OnnxAttribution setModelInput(String name) {
        return put(modelInput, name);
    }

    public OnnxAttribution setModelOutput(String name) {
        return put(modelOutput, name);
    }

    /** The method by catalogue name; an unknown name is refused with the catalogue's list. */
    public OnnxAttribution setMethod(String name) {
        MethodSpec spec = MethodCatalog.get(name);
        if (spec.needs().contains(Need.BATCH_OF_TWO)) {
            throw Explain4jException.unsupported("method", name + " compares rows across a batch, so a row's result would "
                    + "depend on the partitioning; choose a per-row method (e.g. kernel-shap, feature-ablation)");
        }
        if (spread()) {
            checkSpread(spec);
        }
        set(method, spec.name());
        checkParams();
        return this;
    }

    /** One method parameter by catalogue name, as on the command line (e.g. samples = 200); checked when a method is set. */
    public OnnxAttribution setMethodParam(String name, String value) {
        Map<String, String> m = methodParamMap();
        m.put(name, value);
        return setMethodParams(m);
    }

    /** All method parameters by catalogue name (replacing those set before). */
    public OnnxAttribution setMethodParams(Map<String, String> values) {
        List<String> out = new ArrayList<>();
        values.forEach((k, v) -> out.add(k + "=" + v));
        set(methodParams, out.toArray(String[]::new));
        checkParams();
        return this;
    }

    public OnnxAttribution setInputCol(String col) {
        return put(inputCol, col);
    }

    public OnnxAttribution setInputCols(String... cols) {
        return put(inputCols, cols);
    }

    public OnnxAttribution setTargetCol(String col) {
        return put(targetCol, col);
    }

    public OnnxAttribution setTarget(int classIndex) {
        return put(target, classIndex);
    }

    public OnnxAttribution setBaselineCol(String col) {
        return put(baselineCol, col);
    }

    /**
     * Reference rows for methods that take a baseline distribution (KernelSHAP, Shapley sampling,
     * DeepLIFT-SHAP ...): read now from {@code reference}'s input column(s) (the same names as
     * the data's; set them first), kept with the stage and broadcast to the executors.
     */
    public OnnxAttribution setBackground(Dataset<?> reference) {
        Layout l = layout(reference.schema());
        List<Row> rows = reference.toDF().collectAsList();
        if (rows.isEmpty()) {
            throw Explain4jException.usage("background", "background has no rows; give at least one reference row");
        }
        int d = -1;
        double[] all = null;
        for (int i = 0; i < rows.size(); i++) {
            Layout.Decoded r = l.decode(rows.get(i));
            if (r.error != null) {
                throw Explain4jException.usage("background", "background row " + i + ": " + r.error);
            }
            if (d < 0) {
                d = r.values.length;
                all = new double[rows.size() * d];
            } else if (r.values.length != d) {
                throw Explain4jException.shape("background", "background row " + i + " has " + r.values.length
                        + " values, row 0 has " + d + "; give rows of one shape");
            }
            System.arraycopy(r.values, 0, all, i * d, d);
        }
        set(backgroundValues, all);
        set(backgroundShape, new int[] {rows.size(), d});
        checkParams();
        return this;
    }

    public OnnxAttribution setOutputCol(String col) {
        return put(outputCol, col);
    }

    public OnnxAttribution setDiagnosticsCol(String col) {
        return put(diagnosticsCol, col);
    }

    public OnnxAttribution setIdCol(String col) {
        return put(idCol, col);
    }

    public OnnxAttribution setBatchSize(int rows) {
        if (rows < 1) {
            throw Explain4jException.usage("batchSize", "batchSize must be at least 1 (got " + rows + ")");
        }
        return put(batchSize, rows);
    }

    public OnnxAttribution setSeed(long value) {
        set(seed, value);
        checkParams();
        return this;
    }

    /** fail (default) or diagnose. */
    public OnnxAttribution setOnError(String mode) {
        if (!mode.equals("fail") && !mode.equals("diagnose")) {
            throw Explain4jException.usage("onError", "onError '" + mode + "' must be fail or diagnose");
        }
        return put(onError, mode);
    }

    /**
     * Spreads each row's model evaluations over the cluster's tasks (explode, score, regroup), so
     * that a few rows with a large budget (KernelSHAP with 20,000 coalitions on 10 rows) use the
     * whole cluster: perturbation methods only; the results are bit-identical to the default
     * path. The rows are collected to the driver and the method runs there twice (recording the
     * perturbed rows, then replaying their scores): meant for few rows; the jobs run when
     * {@code transform} is called.
     */
    public OnnxAttribution setSpreadEvaluations(boolean on) {
        set(spreadEvaluations, on);
        if (on && isDefined(method)) {
            checkSpread(MethodCatalog.get(getOrDefault(method)));
        }
        return this;
    }

    /** Tasks the spread evaluations are scored in (default 0: Spark's default parallelism). */
    public OnnxAttribution setSpreadPartitions(int tasks) {
        if (tasks < 0) {
            throw Explain4jException.usage("spreadPartitions", "spreadPartitions must be at least 1, or 0 for Spark's "
                    + "default parallelism (got " + tasks + ")");
        }
        return put(spreadPartitions, tasks);
    }

    /** The most perturbed input values held on the driver at once with spreadEvaluations (default 50,000,000). */
    public OnnxAttribution setSpreadMaxValues(long values) {
        if (values < 1) {
            throw Explain4jException.usage("spreadMaxValues", "spreadMaxValues must be at least 1 (got " + values + ")");
        }
        return put(spreadMaxValues, values);
    }

    private boolean spread() {
        return (Boolean) getOrDefault(spreadEvaluations);
    }

    private static void checkSpread(MethodSpec spec) {
        if (!spec.anyModel()) {
            throw Explain4jException.unsupported("spreadEvaluations", "spreadEvaluations spreads model evaluations of "
                    + "perturbation methods; " + spec.name() + " runs backward passes, so turn spreadEvaluations off or "
                    + "choose one of " + String.join(", ", MethodCatalog.perturbationMethods().stream()
                            .filter(m -> !MethodCatalog.get(m).needs().contains(Need.BATCH_OF_TWO)).toList()));
        }
    }

    // ---- checking ----

    /** The method parameters by catalogue name, the seed included when set. */
    public Map<String, String> methodParamMap() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : getOrDefault(methodParams)) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw Explain4jException.usage("methodParams", "methodParams entry '" + kv + "' must be name=value");
            }
            m.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
        }
        return m;
    }

    private LinkedHashMap<String, String> allParams() {
        LinkedHashMap<String, String> m = new LinkedHashMap<>(methodParamMap());
        if (isSet(seed)) {
            if (m.containsKey("seed")) {
                throw Explain4jException.usage("seed", "seed is given twice (setSeed and methodParams); keep one");
            }
            m.put("seed", Long.toString((Long) getOrDefault(seed)));
        }
        return m;
    }

    /** Binds the parameters when the method is known; a baseline from the data stands in as a placeholder. */
    private void checkParams() {
        if (!isDefined(method)) {
            return;
        }
        MethodSpec spec = MethodCatalog.get(getOrDefault(method));
        MethodParams.bind(spec, allParams(), dataBaseline(spec), null);
    }

    private Baseline dataBaseline(MethodSpec spec) {
        boolean distribution = spec.param("baseline").map(p -> p.type() == org.explain4j.core.catalog.ParamType
                .BASELINE_DISTRIBUTION).orElse(false);
        if (isDefined(backgroundValues)) {
            return Baseline.distribution(Tensor.ofDoubles(new double[1], 1, 1));
        }
        if (isDefined(baselineCol)) {
            return distribution ? Baseline.distribution(Tensor.ofDoubles(new double[1], 1, 1)) : Baseline.zeros();
        }
        return null;
    }

    private Layout layout(StructType schema) {
        boolean one = isDefined(inputCol);
        boolean many = isDefined(inputCols);
        if (one == many) {
            throw Explain4jException.usage("inputCol", "set exactly one of inputCol (one array or Vector column) and "
                    + "inputCols (one column per feature)");
        }
        return one ? Layout.of(schema, getOrDefault(inputCol), "inputCol")
                : Layout.ofColumns(schema, getOrDefault(inputCols), "inputCols");
    }

    @Override
    public StructType transformSchema(StructType schema) {
        if (!isDefined(method)) {
            throw Explain4jException.usage("method", "method is not set; choose one of " + String.join(", ",
                    MethodCatalog.names()));
        }
        if (!isDefined(modelPath) && !isDefined(modelBase64)) {
            throw Explain4jException.usage("modelPath", "no model: set modelPath (a Hadoop-compatible path) or modelBytes");
        }
        MethodSpec spec = MethodCatalog.get(getOrDefault(method));
        MethodParams.bind(spec, allParams(), dataBaseline(spec), null);
        if (spread()) {
            checkSpread(spec);
        }
        Layout in = layout(schema);
        if (isDefined(baselineCol)) {
            Layout.of(schema, getOrDefault(baselineCol), "baselineCol");
        }
        if (isDefined(targetCol)) {
            int t = Layout.index(schema, getOrDefault(targetCol), "targetCol");
            if (!(schema.fields()[t].dataType() instanceof IntegralType)) {
                throw Explain4jException.dtype("targetCol", "targetCol '" + getOrDefault(targetCol) + "' is "
                        + schema.fields()[t].dataType().simpleString() + "; it must hold integer class indices");
            }
        }
        if (isDefined(idCol)) {
            Layout.index(schema, getOrDefault(idCol), "idCol");
        }
        if (getOrDefault(onError).equals("diagnose") && !isDefined(diagnosticsCol)) {
            throw Explain4jException.usage("onError", "onError 'diagnose' records errors in diagnosticsCol; set "
                    + "diagnosticsCol too");
        }
        List<StructField> fields = new ArrayList<>(List.of(schema.fields()));
        for (String c : outputs()) {
            if (List.of(schema.fieldNames()).contains(c)) {
                throw Explain4jException.usage("outputCol", "column '" + c + "' already exists; choose another output name");
            }
        }
        boolean same = spec.output() == Output.INPUT;
        fields.add(Layout.field(getOrDefault(outputCol), same ? in.outputType()
                : DataTypes.createArrayType(DataTypes.DoubleType, false)));
        if (isDefined(diagnosticsCol)) {
            fields.add(Layout.field(getOrDefault(diagnosticsCol), DataTypes.createStructType(new StructField[] {
                Layout.field("error", DataTypes.StringType), Layout.field("completenessGap", DataTypes.DoubleType)})));
        }
        return DataTypes.createStructType(fields);
    }

    private List<String> outputs() {
        List<String> out = new ArrayList<>(List.of(getOrDefault(outputCol)));
        if (isDefined(diagnosticsCol)) {
            out.add(getOrDefault(diagnosticsCol));
        }
        return out;
    }

    // ---- running ----

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema(), true);
        SparkSession spark = dataset.sparkSession();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        LoadedModel lm = loadModel(spark, jsc);
        MethodSpec spec = MethodCatalog.get(getOrDefault(method));
        ExplainJob job = new ExplainJob();
        job.modelSha = lm.sha();
        job.modelName = isDefined(modelPath) ? getOrDefault(modelPath) : "model-" + job.modelSha.substring(0, 12) + ".onnx";
        job.modelBytes = lm.bytes();
        job.inputName = isDefined(modelInput) ? getOrDefault(modelInput) : null;
        job.outputName = isDefined(modelOutput) ? getOrDefault(modelOutput) : null;
        job.method = spec.name();
        job.params = allParams();
        if (isDefined(backgroundValues)) {
            job.background = jsc.broadcast(getOrDefault(backgroundValues));
            job.backgroundShape = getOrDefault(backgroundShape);
        }
        StructType schema = dataset.schema();
        job.input = layout(schema);
        job.baseline = isDefined(baselineCol) ? Layout.of(schema, getOrDefault(baselineCol), "baselineCol") : null;
        job.targetIdx = isDefined(targetCol) ? Layout.index(schema, getOrDefault(targetCol), "targetCol") : -1;
        job.target = (Integer) getOrDefault(target);
        job.idIdx = isDefined(idCol) ? Layout.index(schema, getOrDefault(idCol), "idCol") : -1;
        job.batchSize = (Integer) getOrDefault(batchSize);
        job.diagnose = getOrDefault(onError).equals("diagnose");
        job.withDiagnostics = isDefined(diagnosticsCol);
        job.sameLayout = spec.output() == Output.INPUT;
        if (spread()) {
            int tasks = (Integer) getOrDefault(spreadPartitions);
            return new SpreadEvaluations(spark, job, tasks > 0 ? tasks : jsc.defaultParallelism(),
                    (Long) getOrDefault(spreadMaxValues)).run(dataset, out);
        }
        FlatMapFunction<java.util.Iterator<Row>, Row> f = job::run;
        JavaRDD<Row> rows = dataset.toDF().javaRDD().mapPartitions(f);
        return spark.createDataFrame(rows, out);
    }

    /**
     * The model read, hashed and broadcast once: reused by later transforms while the session,
     * the model bytes or path, and the file's length and modification time are the same.
     */
    private synchronized LoadedModel loadModel(SparkSession spark, JavaSparkContext jsc) {
        org.apache.spark.SparkContext sc = spark.sparkContext();
        String source;
        ModelFile file = null;
        long length = -1;
        long modified = -1;
        if (isDefined(modelBase64)) {
            source = getOrDefault(modelBase64);
        } else {
            source = getOrDefault(modelPath);
            file = modelFile(spark, source);
            length = file.status().getLen();
            modified = file.status().getModificationTime();
        }
        LoadedModel l = loaded;
        if (l != null && l.context() == sc && !sc.isStopped() && l.source().equals(source) && l.length() == length
                && l.modified() == modified) {
            return l;
        }
        byte[] bytes = modelBytes(file);
        l = new LoadedModel(sc, source, length, modified, sha256(bytes), jsc.broadcast(bytes));
        loaded = l;
        return l;
    }

    /** The broadcast of the model the last transform used (for tests: reused while the file is unchanged). */
    Object loadedModelBroadcast() {
        LoadedModel l = loaded;
        return l == null ? null : l.bytes();
    }

    /** The model file at a Hadoop path: its file system, path and status (length, modification time). */
    private record ModelFile(FileSystem fs, org.apache.hadoop.fs.Path path, org.apache.hadoop.fs.FileStatus status) {
    }

    /** The model file at {@code p}; a missing path fails here, on the driver, before any task. */
    private static ModelFile modelFile(SparkSession spark, String p) {
        try {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(p);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(path)) {
                throw Explain4jException.file("modelPath", "modelPath " + p + " does not exist; check the path (any "
                        + "Hadoop-compatible URI, e.g. file:///models/m.onnx or hdfs:///models/m.onnx)");
            }
            return new ModelFile(fs, path, fs.getFileStatus(path));
        } catch (IOException e) {
            throw unreadable(p, e);
        }
    }

    private static Explain4jException unreadable(String p, IOException e) {
        return Explain4jException.file("modelPath", "modelPath " + p + " cannot be read: " + e.getMessage(), e);
    }

    /** The model's bytes: those set, or those of {@code file} (the path's, read on the driver). */
    private byte[] modelBytes(ModelFile file) {
        if (file == null) {
            return Base64.getDecoder().decode(getOrDefault(modelBase64));
        }
        String p = getOrDefault(modelPath);
        long len = file.status().getLen();
        if (len == 0 || len > Integer.MAX_VALUE - 8) {
            throw Explain4jException.file("modelPath", "modelPath " + p + " is " + (len == 0 ? "empty" : "over 2 GB")
                    + "; pass an .onnx model file (weights over 2 GB as external data are not supported here)");
        }
        byte[] b = new byte[(int) len];
        try (InputStream in = file.fs().open(file.path())) {
            int off = 0;
            while (off < b.length) {
                int r = in.read(b, off, b.length - off);
                if (r < 0) {
                    throw new IOException("file ended after " + off + " of " + len + " bytes");
                }
                off += r;
            }
        } catch (IOException e) {
            throw unreadable(p, e);
        }
        return b;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public OnnxAttribution copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Reads a stage written by {@link #write()} / {@code save(path)}. */
    public static MLReader<OnnxAttribution> read() {
        return new DefaultParamsReader<>();
    }

    public static OnnxAttribution load(String path) {
        return read().load(path);
    }

    /** The catalogue parameter spec of {@code name} for the method set, if any (for tools). */
    java.util.Optional<ParamSpec> paramSpec(String name) {
        return isDefined(method) ? MethodCatalog.get(getOrDefault(method)).param(name) : java.util.Optional.empty();
    }
}
