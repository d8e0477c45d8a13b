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
 * running conch, not JBang's, with the cache's archive (an AOT cache or a class-data archive)
 * mapped. Read from /proc while the wrapper holds an office, so the evidence is the real process.
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
      List<String> archives =
          read("/proc/" + r.pid() + "/maps")
              .lines()
              .filter(l -> l.matches(".*/launch/[^ ]+/app\\.(aot|jsa)$"))
              .toList();
      assertFalse(archives.isEmpty(), "the cache's archive is mapped: " + cmdline);
    } finally {
      assertEquals(143, r.stop(), r.stderr());
    }
    return ms;
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
