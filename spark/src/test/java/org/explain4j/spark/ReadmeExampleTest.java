package org.explain4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Spark example is the compiled one, and it runs. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    private static String between(String text, String begin, String end) {
        int a = text.indexOf(begin);
        int b = text.indexOf(end, a + 1);
        assertThat(a).as("marker %s", begin).isGreaterThanOrEqualTo(0);
        assertThat(b).as("marker %s", end).isGreaterThan(a);
        return text.substring(text.indexOf('\n', a) + 1, b);
    }

    private static String normalise(String code) {
        StringBuilder b = new StringBuilder();
        for (String line : code.split("\n")) {
            if (!line.isBlank() && !line.trim().startsWith("//")) {
                b.append(line.strip()).append('\n');
            }
        }
        return b.toString();
    }

    @Test
    void theReadmeShowsTheCompiledExample() throws Exception {
        String source = Files.readString(Path.of("src/test/java/org/explain4j/spark/ReadmeExample.java"));
        String readme = Files.readString(Path.of("..", "README.md"));
        String compiled = between(source, "// README-BEGIN", "// README-END");
        String shown = between(readme, "```java spark-example", "```");
        assertThat(normalise(shown)).isEqualTo(normalise(compiled));
        assertThat(shown.split("\n")).hasSizeLessThanOrEqualTo(10);
    }

    @Test
    void theExampleRuns() {
        SparkSession spark = SparkTests.local();
        Path model = TabularMlp.write(dir.resolve("m.onnx"), 20, 8, 3, 2);
        SparkTests.frame(spark, SparkTests.rows(40, 20, 3), 3, 2).write().parquet(dir.resolve("d.parquet").toString());
        Dataset<Row> out = ReadmeExample.explain(spark, model.toString(), dir.resolve("d.parquet").toString());
        List<Row> rows = out.select("shap").collectAsList();
        assertThat(rows).hasSize(40);
        assertThat(SparkTests.flat(rows.get(0).get(0))).hasSize(20);
    }
}
