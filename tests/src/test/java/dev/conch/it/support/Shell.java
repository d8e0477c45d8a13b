package dev.conch.it.support;

import java.nio.file.Path;

/** Quoting for the bash command lines that tests hand to conch as the command. */
public final class Shell {
  private Shell() {}

  /** {@code s} as one single-quoted bash word, whatever it contains. */
  public static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  public static String quote(Path p) {
    return quote(p.toString());
  }
}
