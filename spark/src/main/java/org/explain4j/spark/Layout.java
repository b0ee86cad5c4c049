package org.explain4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.explain4j.core.Explain4jException;

/**
 * How one example sits in a row: an ML {@code Vector}, a (nested) numeric array
 * ({@code array<float>}, {@code array<array<float>>} for images, ...) or one numeric column per
 * feature. Decodes a row into flat values and a shape, and encodes attributions back in the same
 * layout (elements as doubles).
 */
final class Layout implements Serializable {
    private static final long serialVersionUID = 1L;

    enum Kind { VECTOR, ARRAY, COLUMNS }

    private final Kind kind;
    private final int depth;
    private final int[] columns;
    private final String describe;

    private Layout(Kind kind, int depth, int[] columns, String describe) {
        this.kind = kind;
        this.depth = depth;
        this.columns = columns;
        this.describe = describe;
    }

    /** The layout of column {@code col} of {@code schema}; {@code argument} names the setting in errors. */
    static Layout of(StructType schema, String col, String argument) {
        int idx = index(schema, col, argument);
        DataType t = schema.fields()[idx].dataType();
        if (t.equals(SQLDataTypes.VectorType())) {
            return new Layout(Kind.VECTOR, 1, new int[] {idx}, col);
        }
        int depth = 0;
        DataType e = t;
        while (e instanceof ArrayType a) {
            depth++;
            e = a.elementType();
        }
        if (depth == 0 || !(e instanceof NumericType)) {
            throw Explain4jException.dtype(argument, argument + " column '" + col + "' is " + t.simpleString()
                    + "; it must be an ml Vector or a numeric array (array<float>, array<array<float>> ...), or give one "
                    + "column per feature with inputCols");
        }
        return new Layout(Kind.ARRAY, depth, new int[] {idx}, col);
    }

    /** One numeric column per feature, in the order given. */
    static Layout ofColumns(StructType schema, String[] cols, String argument) {
        int[] idx = new int[cols.length];
        for (int i = 0; i < cols.length; i++) {
            idx[i] = index(schema, cols[i], argument);
            DataType t = schema.fields()[idx[i]].dataType();
            if (!(t instanceof NumericType)) {
                throw Explain4jException.dtype(argument, argument + " column '" + cols[i] + "' is " + t.simpleString()
                        + "; each feature column must be numeric");
            }
        }
        return new Layout(Kind.COLUMNS, 1, idx, String.join(",", cols));
    }

    static int index(StructType schema, String col, String argument) {
        for (int i = 0; i < schema.fields().length; i++) {
            if (schema.fields()[i].name().equals(col)) {
                return i;
            }
        }
        throw Explain4jException.usage(argument, argument + " column '" + col + "' is not in the data; its columns are "
                + String.join(", ", schema.fieldNames()));
    }

    Kind kind() {
        return kind;
    }

    /** The Spark type of an attribution column in this layout (doubles). */
    DataType outputType() {
        if (kind == Kind.VECTOR) {
            return SQLDataTypes.VectorType();
        }
        DataType t = DataTypes.DoubleType;
        for (int i = 0; i < (kind == Kind.COLUMNS ? 1 : depth); i++) {
            t = DataTypes.createArrayType(t, false);
        }
        return t;
    }

    /** A row's example, or an error text when it is null, ragged or not numeric. */
    static final class Decoded {
        final double[] values;
        final int[] shape;
        final String error;

        Decoded(double[] values, int[] shape, String error) {
            this.values = values;
            this.shape = shape;
            this.error = error;
        }
    }

    Decoded decode(Row row) {
        if (kind == Kind.COLUMNS) {
            double[] v = new double[columns.length];
            for (int i = 0; i < columns.length; i++) {
                if (row.isNullAt(columns[i])) {
                    return new Decoded(null, null, "feature column " + i + " is null");
                }
                v[i] = ((Number) row.get(columns[i])).doubleValue();
            }
            return new Decoded(v, new int[] {v.length}, null);
        }
        int c = columns[0];
        if (row.isNullAt(c)) {
            return new Decoded(null, null, describe + " is null");
        }
        Object o = row.get(c);
        if (kind == Kind.VECTOR) {
            double[] v = ((Vector) o).toArray();
            return new Decoded(v, new int[] {v.length}, null);
        }
        if (depth == 1 && o instanceof scala.collection.Seq<?> seq) {
            // the common flat case without boxing into a list
            double[] v = new double[seq.length()];
            scala.collection.Iterator<?> it = seq.iterator();
            for (int i = 0; i < v.length; i++) {
                Object e = it.next();
                if (e == null) {
                    return new Decoded(null, null, describe + " has a null element at depth 0");
                }
                v[i] = ((Number) e).doubleValue();
            }
            return new Decoded(v, new int[] {v.length}, null);
        }
        int[] shape = new int[depth];
        Arrays.fill(shape, -1);
        List<Double> flat = new ArrayList<>();
        String err = walk(o, 0, shape, flat);
        if (err != null) {
            return new Decoded(null, null, describe + " " + err);
        }
        double[] v = new double[flat.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = flat.get(i);
        }
        return new Decoded(v, shape, null);
    }

    private static String walk(Object o, int level, int[] shape, List<Double> out) {
        if (o == null) {
            return "has a null element at depth " + level;
        }
        if (level == shape.length) {
            out.add(((Number) o).doubleValue());
            return null;
        }
        List<?> list = o instanceof List<?> l ? l : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) o);
        if (shape[level] == -1) {
            shape[level] = list.size();
        } else if (shape[level] != list.size()) {
            return "is ragged: an array at depth " + level + " has " + list.size() + " elements, another " + shape[level];
        }
        for (Object e : list) {
            String err = walk(e, level + 1, shape, out);
            if (err != null) {
                return err;
            }
        }
        return null;
    }

    /** Attribution values (flat) in this layout, nested as {@code shape} for arrays. */
    Object encode(double[] values, int[] shape) {
        if (kind == Kind.VECTOR) {
            return Vectors.dense(values);
        }
        if (kind == Kind.COLUMNS || depth == 1) {
            return values; // a double[] is an array<double> cell for Spark's row converter
        }
        int[] s = shape.length == depth ? shape : null;
        if (s == null) {
            return boxed(values, 0, values.length);
        }
        return nest(values, s, 0, 0);
    }

    private static Object nest(double[] v, int[] shape, int level, int offset) {
        if (level == shape.length - 1) {
            return boxed(v, offset, shape[level]);
        }
        int stride = 1;
        for (int i = level + 1; i < shape.length; i++) {
            stride *= shape[i];
        }
        List<Object> out = new ArrayList<>(shape[level]);
        for (int i = 0; i < shape[level]; i++) {
            out.add(nest(v, shape, level + 1, offset + i * stride));
        }
        return scala.jdk.javaapi.CollectionConverters.asScala(out).toSeq();
    }

    private static Object boxed(double[] v, int from, int n) {
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(v[from + i]);
        }
        return scala.jdk.javaapi.CollectionConverters.asScala(out).toSeq();
    }

    static StructField field(String name, DataType type) {
        return DataTypes.createStructField(name, type, true);
    }
}
