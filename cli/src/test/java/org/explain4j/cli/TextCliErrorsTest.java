package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad text arguments: one line naming the argument and the fix, a usage or file exit code. */
class TextCliErrorsTest {
    static final Path DIR = Path.of("..", "fixtures", "text");

    @TempDir
    Path tmp;

    CliRunner.Run explain(String... extra) {
        String[] base = {"explain", "--model", DIR.resolve("bow.onnx").toString(), "--out", tmp.toString(), "--quiet"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return CliRunner.run(all);
    }

    static void oneLine(CliRunner.Run r, int code, String... mentions) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(code);
        assertThat(r.err().strip()).doesNotContain("\n").contains(mentions);
    }

    @Test
    void textWithoutATokenizer() {
        oneLine(explain("--text", "a good movie"), 2, "--tokenizer", "tokenizer.json");
    }

    @Test
    void aTokenizerWithoutText() {
        oneLine(explain("--tokenizer", DIR.resolve("bow_tokenizer.json").toString()), 2, "--text", "--text-file");
    }

    @Test
    void similarToOnAClassifier() {
        oneLine(explain("--tokenizer", DIR.resolve("bow_tokenizer.json").toString(), "--text", "good", "--similar-to",
                "bad"), 2, "--similar-to", "leave --similar-to out");
    }

    @Test
    void targetOutOfRangeOrOfTheWrongCount_isAOneLineTargetError() {
        String tok = DIR.resolve("bow_tokenizer.json").toString();
        int code = org.explain4j.core.ErrorKind.TARGET.exitCode();
        oneLine(explain("--tokenizer", tok, "--text", "good", "--target", "99"), code, "--target 99 is out of range");
        oneLine(explain("--tokenizer", tok, "--text", "good", "--text", "bad", "--target", "0,1,0"), code,
                "--target gives 3 classes for 2 texts");
    }

    /** An embedding model, where --similar-to alone picks the output: --target would be ignored, so it is refused. */
    @Test
    void targetWithSimilarTo() throws java.io.IOException {
        Path model = TextMiniLmTest.copyTo(tmp, "/all-minilm-l6-v2.onnx", "minilm.onnx");
        Path tok = TextMiniLmTest.copyTo(tmp, "/all-minilm-l6-v2-tokenizer.json", "tokenizer.json");
        Path out = tmp.resolve("out");
        CliRunner.Run r = CliRunner.run("explain", "--model", model.toString(), "--tokenizer", tok.toString(), "--text",
                "a man plays a guitar", "--similar-to", "someone makes music", "--target", "1", "--methods",
                "layer-gradient-x-activation", "--out", out.toString(), "--quiet");
        oneLine(r, 2, "--target", "--similar-to", "leave --target out");
        assertThat(out.resolve("text.json")).doesNotExist();
    }

    @Test
    void unknownBaselineFeaturesAndMethods() {
        String tok = DIR.resolve("bow_tokenizer.json").toString();
        oneLine(explain("--tokenizer", tok, "--text", "good", "--token-baseline", "zero"), 2, "--token-baseline",
                "mask, pad or delete");
        oneLine(explain("--tokenizer", tok, "--text", "good", "--features", "letters"), 2, "--features", "words or tokens");
        oneLine(explain("--tokenizer", tok, "--text", "good", "--methods", "grad-cam"), 2, "--methods",
                "does not apply to text");
    }

    @Test
    void missingFiles() {
        oneLine(explain("--tokenizer", tmp.resolve("none.json").toString(), "--text", "good"), 7, "--tokenizer");
        oneLine(explain("--tokenizer", DIR.resolve("bow_tokenizer.json").toString(), "--text-file",
                tmp.resolve("none.txt").toString()), 7, "--text-file");
    }

    @Test
    void inputAndTextTogether() {
        oneLine(explain("--input", DIR.resolve("bow_weights.npy").toString(), "--tokenizer",
                DIR.resolve("bow_tokenizer.json").toString(), "--text", "good"), 2, "--input", "not both");
    }

    @Test
    void explainWithoutAnyInput() {
        oneLine(explain(), 2, "--input", "--tokenizer");
    }
}
