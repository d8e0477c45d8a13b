package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conch.base.Json;
import java.util.List;
import java.util.Map;

/**
 * The genuine previous release beside the current build (G12, contract sections 3 and 11): built
 * from its commit once ({@link Releases}), then run on the same prefix as the current build, each
 * version with its own HOSTNAME so that a holder's host says which build wrote it.
 */
public final class PreviousRelease {
  private PreviousRelease() {}

  private static String classpath; // the previous release's
  private static String previousVersion, currentVersion; // as each build's --version says

  /** The current build and the previous release on one prefix, told apart by HOSTNAME. */
  public record Pair(Conch cur, Conch old, String curVersion, String oldVersion) {}

  /** Builds the previous release (once per JVM) and reads both versions; before a class's tests. */
  public static synchronized void build(String endpoint) {
    if (classpath != null) return;
    String built = Releases.classpath(Releases.previous());
    Conch cur = new Conch(endpoint);
    previousVersion = version(cur.build(built));
    currentVersion = version(cur);
    classpath = built;
    System.out.printf(
        "previous release %s beside the current build %s%n", previousVersion, currentVersion);
  }

  public static synchronized Pair pair(String endpoint) {
    Conch cur = new Conch(endpoint).env("HOSTNAME", "host-current");
    Conch old = cur.build(classpath).env("HOSTNAME", "host-previous");
    return new Pair(cur, old, currentVersion, previousVersion);
  }

  /** What {@code conch --version} says: "conch VERSION (lib …)". */
  public static String version(Conch c) {
    Conch.Run v = c.run("--version");
    assertEquals(0, v.exit(0), v.stderr());
    return v.stdout().split(" ")[1];
  }

  /** A run's stdout as JSON, once it exited 0. */
  public static Map<?, ?> json(Conch.Run r) {
    assertEquals(0, r.exit(0), r.stderr());
    return Json.read(r.stdout(), Map.class).orElseThrow();
  }

  /** A holder's (or a daemon's) host, pid and version. */
  public static List<Object> holderId(Map<?, ?> holder) {
    return List.of(
        holder.get("host"), ((Number) holder.get("pid")).longValue(), holder.get("version"));
  }
}
