package org.explain4j.viz;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.Provenance;
import org.explain4j.core.Version;

/**
 * A self-contained HTML report of attributions: one file a browser opens without a server, with
 * CSS inline, images inlined as {@code data:} URIs, no scripts and no external resources. It
 * holds the title, the model (name and SHA-256 prefix), an input summary, the top predictions of
 * each example, an optional overview picture, and one section per method with its picture,
 * description, diagnostics and reproducing command line; optionally an {@link EvaluationSection}
 * that scores the methods against each other. All caller text is HTML-escaped.
 *
 * <pre>{@code
 * HtmlReport.builder("Digits CNN, 4 examples")
 *     .model("digits-cnn", sha256)
 *     .inputSummary("4 images, 1x8x8, values in [0, 16]")
 *     .addPredictions(new TopPredictions("#0", List.of(new Prediction("seven", 0.98))))
 *     .addSection(MethodSection.of(ig, "Integrated gradients ...", Figure.of(grid, "IG"), "explain4j attribute ..."))
 *     .build()
 *     .write(Path.of("report.html"));
 * }</pre>
 */
public final class HtmlReport {
    /** The model a report is about. */
    public record ModelSummary(String name, String sha256) {
        public ModelSummary {
            Checks.notNull(name, "name");
            Checks.notNull(sha256, "sha256");
        }
    }

    private final String title;
    private final Optional<ModelSummary> model;
    private final String inputSummary;
    private final List<TopPredictions> predictions;
    private final Optional<Figure> overview;
    private final Optional<EvaluationSection> evaluation;
    private final List<MethodSection> sections;

    private HtmlReport(Builder b) {
        this.title = b.title;
        this.model = b.model;
        this.inputSummary = b.inputSummary;
        this.predictions = List.copyOf(b.predictions);
        this.overview = b.overview;
        this.evaluation = b.evaluation;
        this.sections = List.copyOf(b.sections);
    }

    /** A builder for a report titled {@code title}. */
    public static Builder builder(String title) {
        return new Builder(Checks.notNull(title, "title"));
    }

    public String title() {
        return title;
    }

    public Optional<ModelSummary> model() {
        return model;
    }

    public String inputSummary() {
        return inputSummary;
    }

    public List<TopPredictions> predictions() {
        return predictions;
    }

    public Optional<Figure> overview() {
        return overview;
    }

    /** The "Which explanation to trust?" section, shown after the overview, when the metrics were computed. */
    public Optional<EvaluationSection> evaluation() {
        return evaluation;
    }

    public List<MethodSection> sections() {
        return sections;
    }

    /** The complete HTML document. */
    public String toHtml() {
        return new ReportHtml(this, Version.get()).render();
    }

    /** Writes {@link #toHtml()} to {@code file} as UTF-8, creating missing parent directories. */
    public void write(Path file) {
        Pictures.write(toHtml().getBytes(StandardCharsets.UTF_8), file);
    }

    /** Collects a report's parts; {@link #build()} makes the immutable report. */
    public static final class Builder {
        private final String title;
        private Optional<ModelSummary> model = Optional.empty();
        private String inputSummary = "";
        private final List<TopPredictions> predictions = new ArrayList<>();
        private Optional<Figure> overview = Optional.empty();
        private Optional<EvaluationSection> evaluation = Optional.empty();
        private final List<MethodSection> sections = new ArrayList<>();

        private Builder(String title) {
            this.title = title;
        }

        /** The model's name and the SHA-256 of its file (the report shows a prefix). */
        public Builder model(String name, String sha256) {
            this.model = Optional.of(new ModelSummary(name, sha256));
            return this;
        }

        /** The model as recorded in a result's provenance. */
        public Builder model(Provenance provenance) {
            Checks.notNull(provenance, "provenance");
            return model(provenance.modelName(), provenance.modelSha256());
        }

        /** A sentence or two about the input, e.g. its shape and value range. */
        public Builder inputSummary(String summary) {
            this.inputSummary = Checks.notNull(summary, "summary");
            return this;
        }

        /** The top predictions of one more example. */
        public Builder addPredictions(TopPredictions top) {
            predictions.add(Checks.notNull(top, "top"));
            return this;
        }

        /** A picture shown before the method sections, e.g. a grid of all methods. */
        public Builder overview(Figure figure) {
            this.overview = Optional.of(Checks.notNull(figure, "figure"));
            return this;
        }

        /** The metrics' verdict on the methods ("Which explanation to trust?"). */
        public Builder evaluation(EvaluationSection section) {
            this.evaluation = Optional.of(Checks.notNull(section, "section"));
            return this;
        }

        /** One more method section. */
        public Builder addSection(MethodSection section) {
            sections.add(Checks.notNull(section, "section"));
            return this;
        }

        public HtmlReport build() {
            return new HtmlReport(this);
        }
    }
}
