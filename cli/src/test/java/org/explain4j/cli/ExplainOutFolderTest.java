package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code explain --out FILE} gets the same one-line usage error on every path: raw text said
 * "cannot be written: FILE" (exit 7) and audio reported an internal error (exit 1) for a
 * {@code FileAlreadyExistsException}, where an image or {@code .npy} input says the path is a file.
 */
class ExplainOutFolderTest {
    @TempDir
    Path tmp;

    @Test
    void outThatIsAFile_isOneUsageLine_forTextAndAudioAsForArrays() throws Exception {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "not a folder");
        Path text = Path.of("..", "fixtures", "text");
        Path audio = Path.of("..", "fixtures", "audio");
        String[][] runs = {
                {"explain", "--model", "../examples/digits/digits_cnn.onnx", "--input", "../examples/digits/digits_x.npy",
                        "--methods", "saliency", "--quiet", "--out", file.toString()},
                {"explain", "--model", text.resolve("bow.onnx").toString(), "--tokenizer",
                        text.resolve("bow_tokenizer.json").toString(), "--text", "good", "--methods", "lime", "--quiet",
                        "--out", file.toString()},
                {"explain", "--model", audio.resolve("tiny_vad.onnx").toString(), "--audio",
                        audio.resolve("tones.wav").toString(), "--methods", "saliency", "--quiet", "--out", file.toString()}};
        for (String[] args : runs) {
            InputErrorsReviewTest.assertError(CliRunner.run(args), ErrorKind.USAGE, "--out " + file, "is a file",
                    "give a folder");
        }
        assertThat(Files.readString(file)).isEqualTo("not a folder");
    }
}
