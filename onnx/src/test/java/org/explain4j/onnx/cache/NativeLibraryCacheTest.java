package org.explain4j.onnx.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX Runtime's libraries unpacked once into the cache: checked, rebuilt when damaged, safe under concurrent processes. */
class NativeLibraryCacheTest {
    @TempDir
    Path tmp;

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A jar holding {@code files} (path inside the jar to contents), deflated as ONNX Runtime's jar is. */
    private Path jar(String name, Map<String, byte[]> files) throws IOException {
        Path j = tmp.resolve(name);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(j))) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                out.putNextEntry(new JarEntry(f.getKey()));
                if (f.getValue() != null) {
                    out.write(f.getValue());
                }
                out.closeEntry();
            }
        }
        return j;
    }

    private Map<String, byte[]> ortLike(long seed) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("ai/onnxruntime/OrtEnvironment.class", bytes(100, seed));
        m.put("ai/onnxruntime/native/linux-x64/", null);
        m.put("ai/onnxruntime/native/linux-x64/libonnxruntime.so", bytes(300_000, seed + 1));
        m.put("ai/onnxruntime/native/linux-x64/libonnxruntime4j_jni.so", bytes(5_000, seed + 2));
        m.put("ai/onnxruntime/native/linux-aarch64/libonnxruntime.so", bytes(1000, seed + 3));
        m.put("ai/onnxruntime/native/linux-x64/debug.dSYM/Contents/x", bytes(10, seed + 4));
        return m;
    }

    @Test
    void unpacksThePlatformsLibraries_once_andFindsThemAgain() throws IOException {
        Map<String, byte[]> files = ortLike(1);
        Path j = jar("ort.jar", files);
        Path root = tmp.resolve("cache/native");
        Optional<Path> dir = NativeLibraryCache.unpacked(j, "linux-x64", root);
        assertThat(dir).isPresent();
        try (Stream<Path> s = Files.list(dir.get())) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("libonnxruntime.so",
                    "libonnxruntime4j_jni.so");
        }
        assertThat(Files.readAllBytes(dir.get().resolve("libonnxruntime.so")))
                .isEqualTo(files.get("ai/onnxruntime/native/linux-x64/libonnxruntime.so"));
        assertThat(Files.readAllBytes(dir.get().resolve("libonnxruntime4j_jni.so")))
                .isEqualTo(files.get("ai/onnxruntime/native/linux-x64/libonnxruntime4j_jni.so"));
        Object key = Files.readAttributes(dir.get().resolve("libonnxruntime.so"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        // a second process finds the same folder and writes nothing
        assertThat(NativeLibraryCache.unpacked(j, "linux-x64", root)).isEqualTo(dir);
        assertThat(Files.readAttributes(dir.get().resolve("libonnxruntime.so"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(key);
        // another platform's libraries go elsewhere; a jar without any gives nothing
        assertThat(NativeLibraryCache.unpacked(j, "linux-aarch64", root)).isPresent().isNotEqualTo(dir);
        assertThat(NativeLibraryCache.unpacked(j, "win-x64", root)).isEmpty();
    }

    @Test
    void anotherBuildOfTheLibraries_getsAnotherFolder() throws IOException {
        Path root = tmp.resolve("cache/native");
        Optional<Path> a = NativeLibraryCache.unpacked(jar("a.jar", ortLike(1)), "linux-x64", root);
        Optional<Path> b = NativeLibraryCache.unpacked(jar("b.jar", ortLike(7)), "linux-x64", root);
        assertThat(a).isPresent();
        assertThat(b).isPresent().isNotEqualTo(a);
        assertThat(Files.readAllBytes(b.get().resolve("libonnxruntime.so")))
                .isEqualTo(ortLike(7).get("ai/onnxruntime/native/linux-x64/libonnxruntime.so"));
    }

    @Test
    void aDamagedFolder_isNeverTrusted_butUnpackedAgain() throws IOException {
        Map<String, byte[]> files = ortLike(2);
        byte[] lib = files.get("ai/onnxruntime/native/linux-x64/libonnxruntime.so");
        Path j = jar("ort.jar", files);
        Path root = tmp.resolve("cache/native");
        Path dir = NativeLibraryCache.unpacked(j, "linux-x64", root).orElseThrow();

        // same size, one byte changed: only the CRC tells
        byte[] bad = lib.clone();
        bad[12345] ^= 1;
        Files.write(dir.resolve("libonnxruntime.so"), bad);
        assertThat(NativeLibraryCache.unpacked(j, "linux-x64", root)).contains(dir);
        assertThat(Files.readAllBytes(dir.resolve("libonnxruntime.so"))).isEqualTo(lib);

        // truncated
        Files.write(dir.resolve("libonnxruntime.so"), java.util.Arrays.copyOf(lib, 1000));
        assertThat(NativeLibraryCache.unpacked(j, "linux-x64", root)).contains(dir);
        assertThat(Files.readAllBytes(dir.resolve("libonnxruntime.so"))).isEqualTo(lib);

        // a file missing, and a stranger beside them
        Files.delete(dir.resolve("libonnxruntime4j_jni.so"));
        assertThat(NativeLibraryCache.unpacked(j, "linux-x64", root)).contains(dir);
        assertThat(dir.resolve("libonnxruntime4j_jni.so")).exists();
        Files.write(dir.resolve("libother.so"), new byte[] {1});
        assertThat(NativeLibraryCache.unpacked(j, "linux-x64", root)).contains(dir);
        assertThat(dir.resolve("libother.so")).doesNotExist();
    }

    @Test
    void concurrentProcesses_leaveOneWholeFolder_andNoTemporaryOnes() throws Exception {
        Map<String, byte[]> files = ortLike(3);
        Path j = jar("ort.jar", files);
        Path root = tmp.resolve("cache/native");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Optional<Path>>> got = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                got.add(pool.submit(() -> NativeLibraryCache.unpacked(j, "linux-x64", root)));
            }
            Path first = null;
            for (Future<Optional<Path>> f : got) {
                Optional<Path> d = f.get();
                // a caller that lost a race may get nothing (ONNX Runtime then unpacks as usual), never a partial folder
                if (d.isPresent()) {
                    first = first == null ? d.get() : first;
                    assertThat(d.get()).isEqualTo(first);
                }
            }
            assertThat(first).isNotNull();
            assertThat(Files.readAllBytes(first.resolve("libonnxruntime.so")))
                    .isEqualTo(files.get("ai/onnxruntime/native/linux-x64/libonnxruntime.so"));
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).hasSize(1).noneMatch(n -> n.endsWith(".part"));
        }
    }

    @Test
    void aFolderThatCannotBeWritten_givesNothing() throws IOException {
        Path j = jar("ort.jar", ortLike(4));
        Path file = tmp.resolve("not-a-folder");
        Files.write(file, new byte[] {1});
        assertThat(catching(() -> NativeLibraryCache.unpacked(j, "linux-x64", file.resolve("native")))).isEmpty();
    }

    private interface Io<T> {
        T get() throws IOException;
    }

    /** The result, or empty where the call threw (as {@link NativeLibraryCache#prepare()} treats it). */
    private static Optional<Path> catching(Io<Optional<Path>> call) {
        try {
            return call.get();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Test
    void platformNames_areThoseOfOnnxRuntimesJar() {
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        try {
            System.setProperty("os.name", "Linux");
            System.setProperty("os.arch", "amd64");
            assertThat(NativeLibraryCache.platform()).isEqualTo("linux-x64");
            System.setProperty("os.name", "Mac OS X");
            System.setProperty("os.arch", "aarch64");
            assertThat(NativeLibraryCache.platform()).isEqualTo("osx-aarch64");
            System.setProperty("os.name", "Windows 11");
            System.setProperty("os.arch", "amd64");
            assertThat(NativeLibraryCache.platform()).isEqualTo("win-x64");
        } finally {
            System.setProperty("os.name", os);
            System.setProperty("os.arch", arch);
        }
    }

    private static java.util.Set<java.nio.file.attribute.PosixFilePermission> perms(String p) {
        return java.nio.file.attribute.PosixFilePermissions.fromString(p);
    }

    @Test
    void nativeFolders_areOwnerOnly_andAFolderOthersMayWriteIsNotUsed() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "POSIX permissions");
        Path j = jar("ort.jar", ortLike(5));
        Path root = tmp.resolve("cache/native");
        Optional<Path> dir = NativeLibraryCache.unpacked(j, "linux-x64", root);
        assertThat(dir).isPresent();
        assertThat(Files.getPosixFilePermissions(root)).isEqualTo(perms("rwx------"));
        assertThat(Files.getPosixFilePermissions(dir.get())).isEqualTo(perms("rwx------"));
        // a shared native/ folder (another user could swap a library of the same size and CRC-32)
        Files.setPosixFilePermissions(root, perms("rwxrwxrwx"));
        assertThat(NativeLibraryCache.unpacked(j, "linux-x64", root)).as("group/others may write native/").isEmpty();
        Files.setPosixFilePermissions(root, perms("rwx------"));
        Files.setPosixFilePermissions(dir.get(), perms("rwxrwx---"));
        Optional<Path> again = NativeLibraryCache.unpacked(j, "linux-x64", root);
        assertThat(again).as("a group-writable library folder is unpacked again, owner-only").isEqualTo(dir);
        assertThat(Files.getPosixFilePermissions(dir.get())).isEqualTo(perms("rwx------"));
        assertThat(NativeLibraryCache.privateFolder(dir.get())).isTrue();
    }

    @Test
    void aDamagedFolder_isMovedAsideBeforeItIsDeleted_soItsFilesNeverBlockTheNewCopy() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "POSIX permissions");
        Path j = jar("ort.jar", ortLike(6));
        Path root = tmp.resolve("cache/native");
        Path dir = NativeLibraryCache.unpacked(j, "linux-x64", root).orElseThrow();
        // damaged, and holding something this process cannot delete in place (a file in a read-only
        // folder): deleting the folder where it is would leave it there and the new copy nowhere to go
        Path stuck = Files.createDirectory(dir.resolve("stuck"));
        Files.writeString(stuck.resolve("f"), "x");
        Files.setPosixFilePermissions(stuck, perms("r-x------"));
        // root deletes in a read-only folder all the same: then the folder moved aside is gone too
        boolean enforced = !Files.isWritable(stuck);
        try {
            Optional<Path> again = NativeLibraryCache.unpacked(j, "linux-x64", root);
            assertThat(again).isEqualTo(Optional.of(dir));
            try (Stream<Path> s = Files.list(dir)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("libonnxruntime.so",
                        "libonnxruntime4j_jni.so");
            }
            try (Stream<Path> s = Files.list(root)) {
                assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".trash")))
                        .as("the damaged folder, moved aside under a name of its own").hasSize(enforced ? 1 : 0);
            }
        } finally {
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(Files::isDirectory).forEach(p -> {
                    try {
                        Files.setPosixFilePermissions(p, perms("rwx------"));
                    } catch (IOException e) {
                        // left to the temporary folder's cleanup
                    }
                });
            }
        }
    }
}
