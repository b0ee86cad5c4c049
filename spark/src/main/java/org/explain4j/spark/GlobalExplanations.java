package org.explain4j.spark;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Global explanations from a DataFrame of per-row attributions (an array column, one entry per
 * feature, as {@link OnnxAttribution} writes for tabular inputs): mean |attribution| per feature,
 * overall and per value of a group column (the class explained, a segment ...), computed by Spark
 * where the rows are; and a seeded sample of rows for the summary and dependence plots.
 */
public final class GlobalExplanations {
    /** Mean |attribution| per feature for one group, and the rows it covers. */
    public record Importance(String group, long rows, double[] meanAbs) {
    }

    /** A sample of rows: each row's feature values and attributions. */
    public record Sample(double[][] values, double[][] attributions) {
    }

    private GlobalExplanations() {
    }

    /** Over all rows (group {@code "all"}) and, when {@code groupCol} is not null, per value of it (sorted). */
    public static List<Importance> meanAbs(Dataset<Row> df, String attrCol, String groupCol, int features) {
        List<Importance> out = new ArrayList<>(aggregate(df, attrCol, lit("all"), features));
        if (groupCol != null) {
            out.addAll(aggregate(df, attrCol, col(groupCol).cast("string"), features));
        }
        return out;
    }

    private static List<Importance> aggregate(Dataset<Row> df, String attrCol, Column group, int features) {
        Dataset<Row> e = df.where(col(attrCol).isNotNull()).select(group.as("g"), posexplode(col(attrCol)).as(
                new String[] {"j", "a"}));
        List<Row> rows = e.groupBy("g", "j").agg(avg(abs(col("a"))).as("m"), count(lit(1)).as("n")).collectAsList();
        Map<String, double[]> means = new TreeMap<>();
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Row r : rows) {
            String g = r.isNullAt(0) ? "null" : r.getString(0);
            int j = r.getInt(1);
            means.computeIfAbsent(g, k -> new double[features])[j] = r.getDouble(2);
            counts.put(g, r.getLong(3));
        }
        List<Importance> out = new ArrayList<>();
        means.forEach((g, m) -> out.add(new Importance(g, counts.get(g), m)));
        return out;
    }

    /**
     * About {@code size} rows drawn with {@code seed} (the same seed, the same rows), with their
     * values from {@code valueCols} (numeric) and attributions from {@code attrCol}.
     */
    public static Sample sample(Dataset<Row> df, List<String> valueCols, String attrCol, int size, long seed) {
        Dataset<Row> ok = df.where(col(attrCol).isNotNull());
        long n = ok.count();
        double fraction = n == 0 ? 0 : Math.min(1.0, 1.2 * size / (double) n);
        List<Column> cols = new ArrayList<>();
        for (String v : valueCols) {
            cols.add(col(v).cast("double"));
        }
        cols.add(col(attrCol));
        List<Row> rows = (fraction >= 1 ? ok : ok.sample(false, fraction, seed)).select(cols.toArray(Column[]::new))
                .limit(size).collectAsList();
        int m = valueCols.size();
        double[][] values = new double[rows.size()][m];
        double[][] attrs = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            for (int j = 0; j < m; j++) {
                values[i][j] = r.isNullAt(j) ? Double.NaN : r.getDouble(j);
            }
            List<Object> a = r.getList(m);
            attrs[i] = new double[a.size()];
            for (int j = 0; j < a.size(); j++) {
                attrs[i][j] = ((Number) a.get(j)).doubleValue();
            }
        }
        return new Sample(values, attrs);
    }
}
