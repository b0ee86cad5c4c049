package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.explain4j.onnx.cache.CacheSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --cache-dir} and {@code --no-cache} on {@code attribute}: same bytes out with a hit, a miss and no cache. */
class CacheCliTest {
    @TempDir
    Path tmp;

    private CliRunner.Run attribute(String out, String... extra) {
        String[] base = {"attribute", "--quiet", "--model", CliRunner.fixtures().resolve("residual_cnn.onnx").toString(),
                "--input", CliRunner.fixtures().resolve("residual_cnn_x.npy").toString(), "--method",
                "integrated-gradients", "--steps", "8", "--output", tmp.resolve(out).toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return CliRunner.run(all);
    }

    private long entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir.resolve("derived"))) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir.resolve("derived"))) {
            return s.filter(p -> p.toString().endsWith(".e4jc")).count();
        }
    }

    @Test
    void cacheDir_storesTheGraph_noCacheWritesNothing_resultsIdentical() throws IOException {
        String before = System.getProperty(CacheSettings.ENABLED);
        System.setProperty(CacheSettings.ENABLED, "on");
        try {
            Path cache = tmp.resolve("cache");
            assertThat(attribute("none.npy", "--no-cache", "--cache-dir", cache.toString()).exitCode()).isZero();
            assertThat(entries(cache)).as("--no-cache").isZero();
            assertThat(attribute("miss.npy", "--cache-dir", cache.toString()).exitCode()).isZero();
            assertThat(entries(cache)).isPositive();
            long written = Files.list(cache.resolve("derived")).mapToLong(p -> p.toFile().lastModified()).max().orElse(0);
            assertThat(attribute("hit.npy", "--cache-dir", cache.toString()).exitCode()).isZero();
            assertThat(Files.readAllBytes(tmp.resolve("miss.npy"))).isEqualTo(Files.readAllBytes(tmp.resolve("none.npy")));
            assertThat(Files.readAllBytes(tmp.resolve("hit.npy"))).isEqualTo(Files.readAllBytes(tmp.resolve("none.npy")));
            assertThat(written).isPositive();
            assertThat(System.getProperty(CacheSettings.DIR)).as("the flag applies to the command only").isNull();
            CliRunner.Run bad = attribute("bad.npy", "--cache-dir", " ");
            assertThat(bad.exitCode()).isNotZero();
            assertThat(bad.err()).contains("--cache-dir");
        } finally {
            if (before == null) {
                System.clearProperty(CacheSettings.ENABLED);
            } else {
                System.setProperty(CacheSettings.ENABLED, before);
            }
        }
    }
}
