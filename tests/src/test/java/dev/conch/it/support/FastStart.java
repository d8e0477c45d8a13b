package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Proof that a launcher took the fast start (bin/conch's cache): the process it started is one JVM
 * running conch, not JBang's, with the cache's archive for holders (an AOT cache or a class-data
 * archive) mapped, and a holder's memory settings: the scripts' //RUNTIME_OPTIONS, and on JDK 25
 * and before the archive mapped where it was recorded (docs/performance.md). Read from /proc while
 * the wrapper holds an office, so the evidence is the real process.
 */
public final class FastStart {
  private FastStart() {}

  private static final AtomicInteger SEQ = new AtomicInteger();

  /**
   * Runs {@code launcher elect OFFICE -- <a command that runs until stopped>}, checks the wrapper's
   * process, stops it, and returns the milliseconds from the launch to the command's start.
   */
  public static long assertFast(Conch c, List<String> launcher, String office) {
    Path up = c.file("fast-" + office + "-" + SEQ.incrementAndGet()); // a file of its own per call
    List<String> cmd =
        Args.cat(
            launcher,
            List.of("elect", office, "--", "sh", "-c", "echo up >>" + up + "; exec sleep 60"));
    long t0 = System.nanoTime();
    Conch.Run r = c.launch(cmd);
    Conch.awaitLines(up, 1, 180_000); // a first call prepares the cache: JBang, a training run
    long ms = (System.nanoTime() - t0) / 1_000_000;
    try {
      String cmdline = read("/proc/" + r.pid() + "/cmdline").replace('\0', ' ');
      assertTrue(
          cmdline.contains(" conch elect " + office), "the launcher's pid runs conch: " + cmdline);
      assertFalse(cmdline.contains("dev.jbang"), "not JBang's JVM: " + cmdline);
      for (String option : runtimeOptions(Conch.ROOT.resolve("conch.java")).split(" "))
        assertTrue(cmdline.contains(" " + option + " "), "runs with " + option + ": " + cmdline);
      List<String> archives =
          read("/proc/" + r.pid() + "/maps")
              .lines()
              .filter(l -> l.matches(".*/launch/[^ ]+/(hold\\.aot|app\\.jsa)$"))
              .toList();
      assertFalse(archives.isEmpty(), "the cache's archive for holders is mapped: " + cmdline);
      // a relocated archive is mapped writable whole, its pages written and private to each
      // holder; one mapped where it was recorded keeps its read-only part read-only and shared
      Path java = Path.of(cmdline.substring(0, cmdline.indexOf(' ')));
      if (Jdks.feature(java.getParent().getParent()) <= 25)
        assertTrue(
            archives.stream().anyMatch(l -> l.split(" +")[1].equals("r--p")),
            "the archive is mapped where it was recorded, not relocated: " + archives);
    } finally {
      assertEquals(143, r.stop(), r.stderr());
    }
    return ms;
  }

  /** The {@code //RUNTIME_OPTIONS} of {@code script}, which bin/conch's java runs with too. */
  public static String runtimeOptions(Path script) {
    return read(script.toString())
        .lines()
        .filter(l -> l.startsWith("//RUNTIME_OPTIONS "))
        .map(l -> l.substring("//RUNTIME_OPTIONS ".length()))
        .findFirst()
        .orElseThrow();
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
