package org.explain4j.onnx.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.CRC32;

/**
 * ONNX Runtime's native libraries, kept unpacked in the cache folder between processes. ONNX
 * Runtime's Java API unpacks its libraries (28 MB for the CPU build on Linux x64) from its jar into
 * a new temporary folder in every process, which cost 0.13-0.14 s of CPU on the loading thread on
 * the development machine (docs/NOTES.md, "Cold start, third round"); from a folder named by
 * {@code onnxruntime.native.path} it loads them directly.
 *
 * <p>{@link #prepare()} (called once, before ONNX Runtime's first use) unpacks every file of the
 * jar's folder for this platform (the runtime, its JNI glue and any execution-provider libraries
 * of a GPU build) into {@code <cache>/native/<platform>-<digest>}, where the digest covers each
 * file's name, size and CRC-32 as the jar's directory records them, so another ONNX Runtime build
 * gets another folder and nothing is unpacked to read them. A folder is written under a temporary
 * name and renamed (concurrent processes leave one complete copy); before each use every file's
 * size and CRC-32 are checked against the jar's, and a folder that does not match is renamed to a
 * name of its own, deleted and unpacked again. Since size and CRC-32 are no defence against a
 * crafted file, {@code native/} and its folders are created owner-only ({@code 0700} where POSIX)
 * and a folder not owned by this user or writable by its group or others is not used. Then the property is set. Nothing is done (ONNX Runtime unpacks as usual) when
 * the cache is off, the property (or a per-library {@code onnxruntime.native.NAME.path}) is already
 * given, the libraries are not in a jar, or anything here fails.
 */
public final class NativeLibraryCache {
    /** ONNX Runtime's system property: the folder its native libraries are loaded from. */
    public static final String ORT_NATIVE_PATH = "onnxruntime.native.path";
    /** The cache's sub-folder. */
    static final String NATIVE = "native";
    /** Unpacked folders of other ONNX Runtime builds unused this long are removed when a new one is written. */
    static final Duration STALE = Duration.ofDays(7);

    private static volatile boolean prepared;
    private static volatile Optional<Path> folder = Optional.empty();

    private NativeLibraryCache() {
    }

    /** One library in the jar: its file name, size and CRC-32. */
    record Library(String name, long size, long crc, String entry) {
    }

    /**
     * Points ONNX Runtime at the unpacked libraries in the cache (unpacking them first where
     * needed); once per JVM, before ONNX Runtime loads. Never throws.
     */
    public static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        try {
            if (givenByUser() || !CacheSettings.enabled()) {
                return;
            }
            String platform = platform();
            URL anchor = NativeLibraryCache.class.getClassLoader()
                    .getResource("ai/onnxruntime/native/" + platform + "/" + System.mapLibraryName("onnxruntime"));
            if (anchor == null || !"jar".equals(anchor.getProtocol())) {
                return;
            }
            JarURLConnection c = (JarURLConnection) anchor.openConnection();
            c.setUseCaches(false);
            Path jar = Path.of(c.getJarFileURL().toURI());
            Optional<Path> dir = unpacked(jar, platform, CacheSettings.root().resolve(NATIVE));
            if (dir.isPresent()) {
                System.setProperty(ORT_NATIVE_PATH, dir.get().toString());
                folder = dir;
            }
        } catch (Exception | LinkageError e) {
            // ONNX Runtime unpacks its libraries itself, as without the cache
        }
    }

    /** The folder ONNX Runtime was pointed at by {@link #prepare()}, if any (tests). */
    static Optional<Path> folder() {
        return folder;
    }

    /** Whether the user chose where ONNX Runtime's libraries come from. */
    private static boolean givenByUser() {
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.equals(ORT_NATIVE_PATH) || k.startsWith("onnxruntime.native.") && k.endsWith(".path")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The folder under {@code root} holding the libraries of {@code platform} from {@code jar},
     * checked, unpacked there first where missing or not matching; empty when the jar holds none or
     * the folder cannot be written.
     */
    static Optional<Path> unpacked(Path jar, String platform, Path root) throws IOException {
        List<Library> libs = new ArrayList<>();
        String prefix = "ai/onnxruntime/native/" + platform + "/";
        try (JarFile jf = new JarFile(jar.toFile(), false)) {
            for (Enumeration<JarEntry> en = jf.entries(); en.hasMoreElements(); ) {
                JarEntry e = en.nextElement();
                String rest = e.getName().startsWith(prefix) ? e.getName().substring(prefix.length()) : "";
                // the platform folder's own files (a macOS jar's debug-symbol folders are not libraries)
                if (!e.isDirectory() && !rest.isEmpty() && !rest.contains("/")) {
                    if (e.getSize() < 0 || e.getCrc() < 0) {
                        return Optional.empty();
                    }
                    libs.add(new Library(rest, e.getSize(), e.getCrc(), e.getName()));
                }
            }
            if (libs.isEmpty()) {
                return Optional.empty();
            }
            libs.sort(java.util.Comparator.comparing(Library::name));
            Path dir = root.resolve(platform + "-" + digest(libs));
            // the libraries are trusted on size and CRC-32 only: the folders must be this user's alone
            createPrivate(root);
            if (!privateFolder(root)) {
                return Optional.empty();
            }
            if (Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (privateFolder(dir) && matches(dir, libs)) {
                    touch(dir); // in use: not stale for another build's cleanup
                    return Optional.of(dir);
                }
                // damaged, incomplete or not private: renamed to a name of its own first, so that a
                // process that already chose it keeps its files until it is done, then unpacked again
                Path trash = root.resolve(dir.getFileName() + "." + UUID.randomUUID() + ".trash");
                try {
                    Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        return Optional.empty(); // cannot be moved aside: ONNX Runtime unpacks as usual
                    }
                    // another process moved it aside first
                }
                deleteTree(trash);
            } else if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty(); // a file or a link in its place
            }
            removeStale(root, dir);
            Path part = root.resolve(dir.getFileName() + "." + UUID.randomUUID() + ".part");
            createOwnerOnly(part);
            try {
                for (Library l : libs) {
                    CRC32 crc = new CRC32();
                    long n = 0;
                    try (InputStream in = jf.getInputStream(jf.getEntry(l.entry()));
                         OutputStream out = Files.newOutputStream(part.resolve(l.name()))) {
                        byte[] buf = new byte[1 << 16];
                        for (int k = in.read(buf); k >= 0; k = in.read(buf)) {
                            crc.update(buf, 0, k);
                            out.write(buf, 0, k);
                            n += k;
                        }
                    }
                    if (n != l.size() || crc.getValue() != l.crc()) {
                        return Optional.empty();
                    }
                }
                try {
                    Files.move(part, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    return Optional.empty();
                } catch (IOException e) {
                    // another process renamed its copy first: use that one if it is whole
                    return Files.isDirectory(dir) && matches(dir, libs) ? Optional.of(dir) : Optional.empty();
                }
                return Optional.of(dir);
            } finally {
                if (Files.exists(part)) {
                    deleteTree(part);
                }
            }
        }
    }

    /** {@code rwx------}: the native folders' permissions. */
    static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY =
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Creates the folder {@code dir} (its parent exists) {@code rwx------} where the file system has POSIX permissions. */
    private static void createOwnerOnly(Path dir) throws IOException {
        if (posix(dir)) {
            Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.setPosixFilePermissions(dir, OWNER_ONLY); // whatever the umask
        } else {
            Files.createDirectory(dir);
        }
    }

    /** Creates {@code root} (the cache's {@code native/}) owner-only where missing. */
    private static void createPrivate(Path root) throws IOException {
        if (Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.createDirectories(root.toAbsolutePath().getParent());
        try {
            createOwnerOnly(root);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made by another process at the same time: checked like any other
        }
    }

    /**
     * Whether {@code dir} is a real folder (not a link) owned by the user running this process and
     * not writable by its group or others, where the file system has POSIX permissions (elsewhere:
     * a real folder owned by this user, where owners are known).
     */
    static boolean privateFolder(Path dir) {
        try {
            if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            java.nio.file.attribute.UserPrincipal me = currentUser();
            if (me != null && !me.equals(Files.getOwner(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
                return false;
            }
            if (posix(dir)) {
                java.util.Set<java.nio.file.attribute.PosixFilePermission> perms =
                        Files.getPosixFilePermissions(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                return !perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                        && !perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);
            }
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    private static volatile java.nio.file.attribute.UserPrincipal user;

    /** The owner of the files this process creates (a temporary file's owner), or null when unknown. */
    static java.nio.file.attribute.UserPrincipal currentUser() {
        if (user == null) {
            try {
                Path probe = Files.createTempFile("explain4j-owner", ".tmp");
                try {
                    user = Files.getOwner(probe);
                } finally {
                    Files.deleteIfExists(probe);
                }
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return null;
            }
        }
        return user;
    }

    /** Whether {@code dir} holds exactly the files of {@code libs}, each of its size and CRC-32. */
    static boolean matches(Path dir, List<Library> libs) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            if (files.count() != libs.size()) {
                return false;
            }
        }
        byte[] buf = new byte[1 << 16];
        for (Library l : libs) {
            Path f = dir.resolve(l.name());
            if (!Files.isRegularFile(f) || Files.size(f) != l.size()) {
                return false;
            }
            CRC32 crc = new CRC32();
            try (InputStream in = Files.newInputStream(f)) {
                for (int k = in.read(buf); k >= 0; k = in.read(buf)) {
                    crc.update(buf, 0, k);
                }
            }
            if (crc.getValue() != l.crc()) {
                return false;
            }
        }
        return true;
    }

    /** The platform folder name of ONNX Runtime's jar ({@code linux-x64}, {@code osx-aarch64}, ...). */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("mac") || os.contains("darwin") ? "osx" : os.contains("win") ? "win"
                : os.contains("nux") ? "linux" : os;
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64"
                : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : arch;
        return o + "-" + a;
    }

    /** A short digest of the libraries' names, sizes and CRC-32s. */
    static String digest(List<Library> libs) {
        StringBuilder s = new StringBuilder();
        for (Library l : libs) {
            s.append(l.name()).append('\n').append(l.size()).append('\n').append(l.crc()).append('\n');
        }
        return DiskCache.sha256Hex(s.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    /** Removes folders of other builds unused for {@link #STALE}, and temporary folders left by killed processes. */
    private static void removeStale(Path root, Path keep) {
        Instant old = Instant.now().minus(STALE);
        Instant oldPart = Instant.now().minus(DiskCache.STALE_TEMP);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (p.equals(keep) || !Files.isDirectory(p)) {
                    continue;
                }
                Instant t = Files.getLastModifiedTime(p).toInstant();
                String name = p.getFileName().toString();
                if (t.isBefore(name.endsWith(".part") || name.endsWith(".trash") ? oldPart : old)) {
                    deleteTree(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            // left for a later run
        }
    }

    private static void touch(Path dir) {
        try {
            Files.setLastModifiedTime(dir, java.nio.file.attribute.FileTime.from(Instant.now()));
        } catch (IOException e) {
            // a folder that cannot be touched may be removed as stale by another build and unpacked again
        }
    }

    private static void deleteTree(Path dir) {
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left behind; a later run retries
                }
            });
        } catch (IOException e) {
            // left behind
        }
    }
}
