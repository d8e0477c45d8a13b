package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * conch launched as a user launches it (./jbang, the catalog, an installed command, a release): run
 * to its end with a test's connection, and a child whose one line says that it led.
 */
public final class Launch {
  private Launch() {}

  /** The child prints what conch told it; a leader's output is exactly this one line. */
  public static final List<String> REPORT =
      List.of("--", "sh", "-c", "echo \"$CONCH_TOOL $CONCH_NAME $CONCH_REV\"");

  public static final List<String> SEMA_REPORT = Args.cat(List.of("--max", "1"), REPORT);

  /**
   * Runs {@code cmd} in {@code cwd} with the Conch instance's connection environment plus {@code
   * extra}.
   */
  public static Procs.Result exec(Conch c, Path cwd, Map<String, String> extra, List<String> cmd) {
    Map<String, String> env = new HashMap<>();
    env.put("CONCH_ENDPOINTS", c.endpoint);
    env.put("CONCH_PREFIX", c.prefix);
    env.put("JBANG_NO_VERSION_CHECK", "true");
    env.putAll(extra);
    return Procs.run(cmd, env, cwd);
  }

  /**
   * The child ran as leader of {@code office}: exit 0, exactly its one line on stdout, the office
   * released.
   */
  public static void assertLed(Conch c, String office, int code, String out, String err) {
    assertRan(c, "elect " + office, code, out, err);
  }

  /**
   * The child ran under {@code toolAndName} ("elect o1"): exit 0, exactly its one line on stdout,
   * released.
   */
  public static void assertRan(Conch c, String toolAndName, int code, String out, String err) {
    assertEquals(0, code, err);
    assertTrue(
        out.matches(toolAndName + " [1-9][0-9]*\n"),
        "stdout is the child's line only: [" + out + "] stderr: " + err);
    assertFalse(err.contains("Downloading JDK"), "JBang used the JDK on PATH: " + err);
    assertEquals(List.of(), c.keys(), "released");
  }
}
