package dev.conch.it.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Files that the test JVMs of one build make once and share: the wrapper's classpath and its
 * class-data archive, which the three surefire executions would otherwise each make again (a JBang
 * build and a training run, about 15 s of 2 cores apiece). The build names a directory of its own
 * ({@code conch.build.shared}, under target/, by the build's start time); without it, each JVM
 * makes its own. A file appears whole or not at all: it is made beside its name and moved into
 * place.
 */
final class Shared {
  private static final Path DIR = dir();

  private Shared() {}

  private static Path dir() {
    String named = System.getProperty("conch.build.shared");
    try {
      if (named == null) return Files.createTempDirectory("conch-shared-");
      Path dir = Path.of(named);
      if (Files.notExists(dir)) { // the build's first JVM: earlier builds' archives go
        try (Stream<Path> old = Files.list(dir.getParent())) {
          old.filter(p -> p.getFileName().toString().startsWith("shared-"))
              .forEach(Procs::deleteTree);
        }
        Files.createDirectories(dir);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code classpath} with each jar copied under {@code dir}, so the build's class-data archive
   * keeps matching it: a test that installs conch through the catalog has JBang fetch the lib into
   * ~/.m2 again, and a jar with a new mtime makes the JVM ignore the archive, silently, for every
   * wrapper started after it (each start then costs twice the CPU).
   */
  static String pinned(String classpath, Path dir) {
    List<String> copies = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      for (String entry : classpath.split(File.pathSeparator)) {
        Path jar = Path.of(entry);
        if (!Files.isRegularFile(jar)) {
          copies.add(entry);
          continue;
        }
        Path copy = dir.resolve(copies.size() + "-" + jar.getFileName());
        Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
        copies.add(copy.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return String.join(File.pathSeparator, copies);
  }

  /**
   * The file {@code name}, made by {@code make} (which writes the path it is given) unless a JVM of
   * this build made it already; null if {@code make} wrote nothing.
   */
  static Path once(String name, Consumer<Path> make) {
    Path file = DIR.resolve(name);
    if (Files.exists(file)) return file;
    Path draft = DIR.resolve(name + ".draft" + ProcessHandle.current().pid());
    make.accept(draft);
    if (Files.notExists(draft)) return null;
    try {
      return Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
