package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo --out DIR} never replaces a user's file: a folder holding files under names the demo
 * writes is refused in one line, unless the demo wrote that folder itself (its default folder is
 * reused run after run).
 */
class DemoOutFolderTest {
    @TempDir
    Path tmp;

    @Test
    void demo_refusesAFolderHoldingTheUsersFilesUnderItsNames_andLeavesThemAsTheyWere() throws Exception {
        Path dir = tmp.resolve("mine");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("report.html"), "the user's own report");
        Files.writeString(dir.resolve("saliency.png"), "the user's own picture");
        Files.writeString(dir.resolve("notes.txt"), "a file the demo does not write");
        CliRunner.Run r = CliRunner.run("demo", "--quiet", "--methods", "saliency", "--out", dir.toString());
        InputErrorsReviewTest.assertError(r, ErrorKind.USAGE, "--out", "report.html", "1 more", "overwrite");
        assertThat(Files.readString(dir.resolve("report.html"))).isEqualTo("the user's own report");
        assertThat(Files.readString(dir.resolve("saliency.png"))).isEqualTo("the user's own picture");
        assertThat(dir.resolve("digits_cnn.onnx")).as("nothing unpacked before the refusal").doesNotExist();
        assertThat(dir.resolve("input.npy")).doesNotExist();

        // a folder whose only file has a name the demo does not write is used
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("notes.txt"), "kept");
        CliRunner.Run first = CliRunner.run("demo", "--quiet", "--methods", "saliency", "--out", other.toString());
        assertThat(first.exitCode()).as("first run: %s", first.err()).isZero();
        assertThat(other.resolve("report.html")).isRegularFile();
        assertThat(other.resolve("saliency.npy")).isRegularFile();
        assertThat(Files.readString(other.resolve("notes.txt"))).isEqualTo("kept");
        // and run again: the folder is the demo's own now, its results are replaced
        Files.writeString(other.resolve("report.html"), "stale");
        CliRunner.Run second = CliRunner.run("demo", "--quiet", "--methods", "saliency", "--out", other.toString());
        assertThat(second.exitCode()).as("second run into the demo's own folder: %s", second.err()).isZero();
        assertThat(Files.readString(other.resolve("report.html"))).as("written again").contains("<html").doesNotContain("stale");
    }

    @Test
    void demo_refusesTheUsersFile_whenTheMethodIsNamedInAnotherCase() throws Exception {
        Path dir = tmp.resolve("cased");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("saliency.png"), "the user's own picture");
        CliRunner.Run r = CliRunner.run("demo", "--quiet", "--methods", "Saliency", "--out", dir.toString());
        InputErrorsReviewTest.assertError(r, ErrorKind.USAGE, "--out", "saliency.png", "overwrite");
        assertThat(Files.readString(dir.resolve("saliency.png"))).isEqualTo("the user's own picture");
    }
}
