package dev.conch.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A JBang directory of its own under {@code dir}, for {@code jbang app install}: {@code dir/bin}
 * holds a jbang (the checkout's wrapper), and the environment puts JBang's bin directory (where it
 * installs commands) and that one on PATH.
 */
public final class AppInstall {
  private AppInstall() {}

  /** The environment of a user with JBang's directory in {@code dir/jbang-dir}. */
  public static Map<String, String> env(Path dir) {
    try {
      Path bin = Files.createDirectories(dir.resolve("bin"));
      Files.createSymbolicLink(bin.resolve("jbang"), Conch.ROOT.resolve("jbang"));
      Path jbangDir = dir.resolve("jbang-dir");
      return Map.of(
          "JBANG_DIR",
          jbangDir.toString(),
          "PATH",
          jbangDir.resolve("bin") + ":" + bin + ":" + System.getenv("PATH"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The jbang of {@link #env}, by its path: a child's PATH is not where Java finds the program. */
  public static String jbang(Path dir) {
    return dir.resolve("bin/jbang").toString();
  }

  /** Where JBang installs the command {@code name}. */
  public static Path command(Path dir, String name) {
    return dir.resolve("jbang-dir/bin").resolve(name);
  }
}
