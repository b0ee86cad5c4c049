package org.explain4j.viz;

import java.util.List;
import org.explain4j.core.Explain4jException;

/**
 * The "Which explanation to trust?" part of an {@link HtmlReport}: a table with one row per
 * method (its rank, its scores and its sanity verdict, as text the caller formats), how to read
 * each metric in plain words, the charts behind the numbers, and one line per metric or method
 * that was not computed and why.
 *
 * @param intro    paragraphs before the table (what was computed, how the ranking is formed)
 * @param columns  the table's column headings
 * @param rows     one row per method, one cell per column
 * @param figures  the charts (curves, MPRT similarities), shown after the table
 * @param readings each metric's plain-words reading
 * @param details  paragraphs on how the numbers were computed (budgets, thresholds)
 * @param notes    one line per skipped metric or method, with the reason
 */
public record EvaluationSection(List<String> intro, List<String> columns, List<Row> rows, List<Figure> figures,
                                List<Reading> readings, List<String> details, List<String> notes) {
    /** The section's heading. */
    public static final String TITLE = "Which explanation to trust?";

    /** One method's row: the method's name and its cells. */
    public record Row(String method, List<String> cells) {
        public Row {
            Checks.notNull(method, "method");
            cells = Checks.copyOf(cells, "cells");
        }
    }

    /** How to read one metric: its label (as in the table) and a sentence. */
    public record Reading(String metric, String text) {
        public Reading {
            Checks.notNull(metric, "metric");
            Checks.notNull(text, "text");
        }
    }

    public EvaluationSection {
        intro = Checks.copyOf(intro, "intro");
        columns = Checks.copyOf(columns, "columns");
        rows = Checks.copyOf(rows, "rows");
        readings = Checks.copyOf(readings, "readings");
        details = Checks.copyOf(details, "details");
        figures = Checks.copyOf(figures, "figures");
        notes = Checks.copyOf(notes, "notes");
        for (Row r : rows) {
            if (r.cells().size() != columns.size()) {
                throw Explain4jException.shape("rows", "row '" + r.method() + "' has " + r.cells().size() + " cells for "
                        + columns.size() + " columns; pass one cell per column");
            }
        }
    }
}
