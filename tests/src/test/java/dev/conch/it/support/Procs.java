package dev.conch.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Small process and file helpers for tests. */
public final class Procs {
  public record Result(int code, String out, String err) {}

  /**
   * Every long-lived process a test started: whatever a failed test left running dies with the test
   * JVM.
   */
  private static final Set<Process> STARTED = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> STARTED.forEach(Process::destroyForcibly)));
  }

  private Procs() {}

  public static Process track(Process p) {
    STARTED.add(p);
    p.onExit().thenRun(() -> STARTED.remove(p));
    return p;
  }

  public static Result run(List<String> cmd, Map<String, String> env) {
    return run(cmd, env, null);
  }

  /**
   * Runs {@code cmd} in {@code cwd} (null: ours) with {@code env} added, stdin empty, to its end.
   */
  public static Result run(List<String> cmd, Map<String, String> env, Path cwd) {
    return run(cmd, env, cwd, Path.of("/dev/null"));
  }

  /** The same, with stdin read from {@code stdin}. */
  public static Result run(List<String> cmd, Map<String, String> env, Path cwd, Path stdin) {
    return run(cmd, env, cwd, stdin, 120);
  }

  /** The same, allowed {@code seconds} to end (a whole release build takes longer than most). */
  public static Result run(
      List<String> cmd, Map<String, String> env, Path cwd, Path stdin, long seconds) {
    try {
      ProcessBuilder pb =
          new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()));
      if (cwd != null) pb.directory(cwd.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + cmd);
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends a signal by name to one process id we started. */
  public static void kill(String signal, long pid) {
    Result r = run(List.of("kill", "-s", signal, Long.toString(pid)), Map.of());
    if (r.code() != 0)
      throw new IllegalStateException("kill -s " + signal + " " + pid + ": " + r.err());
  }

  public static boolean alive(long pid) {
    Path stat = Path.of("/proc/" + pid + "/stat");
    try {
      String s = Files.readString(stat);
      return !s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * A pause where nothing announces the event waited for (a process's death, a server's health).
   */
  public static void nap(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until {@code pid} is gone (or a zombie); false if still alive after {@code millis}. */
  public static boolean awaitDeath(long pid, long millis) {
    long end = System.nanoTime() + millis * 1_000_000;
    while (alive(pid)) {
      if (System.nanoTime() > end) return false;
      nap(20);
    }
    return true;
  }

  public static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind is harmless
    }
  }
}
