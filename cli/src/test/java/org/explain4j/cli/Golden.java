package org.explain4j.cli;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The golden folder {@code <explain4j.shared>/golden}. Without it the golden tests are skipped,
 * unless {@code -Dexplain4j.requireGolden=true} (CI's {@code .ci/run}), where they fail.
 */
final class Golden {
    private Golden() {
    }

    /** Whether a missing golden folder or an unrunnable golden case must fail the build. */
    static boolean required() {
        return Boolean.parseBoolean(System.getProperty("explain4j.requireGolden", "false").trim());
    }

    /** Whether the golden folder has its manifest. */
    static boolean present() {
        return Files.isRegularFile(CliRunner.shared().resolve("golden").resolve("manifest.json"));
    }

    /** The golden folder; fails (required) or aborts the test (not required) when it has no {@code manifest.json}. */
    static Path folder() {
        Path golden = CliRunner.shared().resolve("golden");
        boolean present = Files.isRegularFile(golden.resolve("manifest.json"));
        String why = "expected the golden cases in " + golden.toAbsolutePath().normalize()
                + " (system property explain4j.shared), but it has no manifest.json";
        if (!present && required()) {
            fail(why + "; -Dexplain4j.requireGolden=true makes that a failure");
        }
        assumeTrue(present, why + "; skipped (CI sets -Dexplain4j.requireGolden=true)");
        return golden;
    }
}
