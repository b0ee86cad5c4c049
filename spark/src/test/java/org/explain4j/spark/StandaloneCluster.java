package org.explain4j.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Spark standalone cluster on loopback: a master and workers, each a separate JVM started
 * from the Spark jars Maven resolved (the test class path), with a SPARK_HOME whose {@code jars}
 * folder links those jars (the workers build their executors' class path from it). The explain4j
 * jars are left out of it: executors get them only through {@code spark.jars}. Stops every
 * process it started (workers' executors included).
 */
final class StandaloneCluster implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final Path home;
    private final int port;

    StandaloneCluster(Path dir, int workers, Set<String> leaveOut) {
        try {
            home = Files.createDirectories(dir.resolve("spark-home"));
            Path jars = Files.createDirectories(home.resolve("jars"));
            List<String> cp = List.of(System.getProperty("java.class.path").split(File.pathSeparator));
            for (String e : cp) {
                Path p = Path.of(e);
                if (e.endsWith(".jar") && Files.isRegularFile(p) && leaveOut.stream().noneMatch(e::contains)) {
                    Path link = jars.resolve(p.getFileName());
                    if (!Files.exists(link)) {
                        Files.createSymbolicLink(link, p.toAbsolutePath());
                    }
                }
            }
            port = freePort();
            String classPath = jars.toString() + File.separator + "*";
            processes.add(start(classPath, dir.resolve("master.log"), "org.apache.spark.deploy.master.Master",
                    "--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port", "0"));
            waitForPort(port, 90);
            for (int w = 0; w < workers; w++) {
                Path work = Files.createDirectories(dir.resolve("work-" + w));
                processes.add(start(classPath, dir.resolve("worker-" + w + ".log"), "org.apache.spark.deploy.worker.Worker",
                        "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", "0", "--work-dir",
                        work.toString(), masterUrl()));
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        }
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + port;
    }

    Path home() {
        return home;
    }

    private Process start(String classPath, Path log, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", classPath, main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb.start();
    }

    /** The executor JVMs the workers launched (their child processes). */
    List<ProcessHandle> executors() {
        return processes.stream().skip(1).flatMap(p -> p.toHandle().descendants())
                .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .collect(Collectors.toList());
    }

    /** Every JVM this cluster started, executors included, still alive. */
    List<ProcessHandle> alive() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process p : processes) {
            p.toHandle().descendants().filter(ProcessHandle::isAlive).forEach(out::add);
            if (p.isAlive()) {
                out.add(p.toHandle());
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            List<ProcessHandle> children = p.toHandle().descendants().toList();
            p.destroy();
            children.forEach(ProcessHandle::destroy);
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(int port, int seconds) throws IOException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException(ie);
                }
            }
        }
        throw new IOException("the Spark master did not listen on port " + port + " within " + seconds + " s");
    }
}
