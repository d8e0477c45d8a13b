package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;

/** The version this build is, and how conch says it. */
public final class ThisBuild {
  /** The root pom's version, passed by surefire (tests/pom.xml). */
  public static final String VERSION = System.getProperty("conch.version");

  private ThisBuild() {}

  /**
   * {@code conch --version}'s output: one line; the Java is whichever runs conch (java on PATH),
   * not necessarily the test's.
   */
  public static void assertVersion(String out) {
    String v = Pattern.quote(VERSION);
    assertTrue(
        out.matches(
            "conch "
                + v
                + " \\(lib dev\\.conch:conch-lib "
                + v
                + ", Java [0-9][0-9A-Za-z.+_-]*\\)\n"),
        out);
  }
}
