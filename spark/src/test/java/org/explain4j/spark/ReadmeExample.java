package org.explain4j.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The README's Spark example, compiled with the tests (ReadmeExampleTest keeps the two texts equal and runs it). */
final class ReadmeExample {
    private ReadmeExample() {
    }

    static Dataset<Row> explain(SparkSession spark, String modelPath, String dataPath) {
        // README-BEGIN
        Dataset<Row> rows = spark.read().parquet(dataPath);           // features: array<float>, label: int
        OnnxAttribution shap = new OnnxAttribution()
                .setModelPath(modelPath)                              // file:, hdfs:, s3a: ...
                .setMethod("kernel-shap")                             // catalogue names, checked here
                .setMethodParam("samples", "200").setSeed(7)
                .setInputCol("features").setTargetCol("label")
                .setBackground(rows.limit(20))                        // baseline distribution, broadcast
                .setOutputCol("shap");
        Dataset<Row> explained = shap.transform(rows);                // one attribution per row
        GlobalExplanations.meanAbs(explained, "shap", "label", 20);   // mean |attribution| per feature
        // README-END
        return explained;
    }
}
