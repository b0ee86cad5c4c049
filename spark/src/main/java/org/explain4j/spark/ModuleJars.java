package org.explain4j.spark;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.Explain4jException;

/**
 * The jars a cluster's executors need for {@link OnnxAttribution}: this module's jar and its
 * runtime dependencies (explain4j core/onnx/viz, ONNX Runtime, protobuf ...), listed by the build
 * in {@code target/runtime-classpath.txt} beside the jar; the command line's jar is left out
 * (only the driver runs it). Spark itself is the cluster's.
 */
final class ModuleJars {
    private ModuleJars() {
    }

    static List<String> forExecutors() {
        try {
            Path jar = Path.of(OnnxAttribution.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path list = jar.getParent().resolve("runtime-classpath.txt");
            if (!jar.toString().endsWith(".jar") || !Files.exists(list)) {
                throw Explain4jException.usage("--jars", "cannot tell which jars the executors need (running from " + jar
                        + "); build the spark module (mvn package -pl spark -am) or pass --jars");
            }
            List<String> out = new ArrayList<>(List.of(jar.toString()));
            for (String e : Files.readString(list).trim().split(java.io.File.pathSeparator)) {
                if (!e.isBlank() && !e.contains("explain4j-cli") && !e.contains("/cli/target/")) {
                    out.add(e);
                }
            }
            return out;
        } catch (IOException | URISyntaxException e) {
            throw Explain4jException.usage("--jars", "cannot list the executors' jars (" + e.getMessage() + "); pass --jars");
        }
    }
}
