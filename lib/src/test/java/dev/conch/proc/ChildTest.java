package dev.conch.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watchdog with real processes and signals, no etcd: parked, started, and left unrenewed. */
class ChildTest {
  private static final Duration KILL_AFTER = Duration.ofMillis(500);

  @TempDir Path dir;

  private List<String> marking(String then) {
    return List.of("sh", "-c", "echo ran $CONCH_X >> '" + dir.resolve("ran") + "'; " + then);
  }

  private static int exit(Child c) throws Exception {
    return c.exit().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aParkedWatchdogRunsNothingUntilGoThenReportsTheCommandsStatus() throws Exception {
    Child c = Child.park(marking("exit 3"), Map.of("CONCH_X", "x"), KILL_AFTER, null);
    assertFalse(c.exit().isDone(), "parked: alive, waiting for the go");
    List<ProcessHandle> watchdog =
        ProcessHandle.current()
            .children()
            .filter(p -> p.info().commandLine().orElse("").contains(dir.toString()))
            .toList();
    assertEquals(1, watchdog.size(), "one watchdog, parked");
    awaitIgnoring(watchdog.get(0).pid()); // bash has started and set its traps; nothing says when
    new ProcessBuilder("kill", "-s", "TERM", Long.toString(watchdog.get(0).pid()))
        .start()
        .waitFor();
    assertThrows(
        TimeoutException.class,
        () -> c.exit().get(500, TimeUnit.MILLISECONDS),
        "a stray SIGTERM does not end a parked watchdog");
    assertFalse(Files.exists(dir.resolve("ran")), "nothing ran before the go");
    c.go(Duration.ofSeconds(30));
    assertEquals(3, exit(c));
    c.close();
    assertEquals(List.of("ran x"), Files.readAllLines(dir.resolve("ran")));
  }

  /** Waits until {@code pid} ignores HUP, INT and TERM (SigIgn bits 1, 2 and 15). */
  private static void awaitIgnoring(long pid) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
        if (line.startsWith("SigIgn:")
            && (Long.parseLong(line.substring(7).strip(), 16) & 0x4003) == 0x4003) return;
      Thread.sleep(10);
    }
    throw new AssertionError("the watchdog never set its traps");
  }

  @Test
  void aParkedWatchdogWhoseFifoClosesExitsWithoutRunningItsCommand() throws Exception {
    Child c = Child.park(marking("exit 0"), Map.of(), KILL_AFTER, null);
    c.close(); // what a wrapper that withdrew, lost its place or died does to it
    assertEquals(0, exit(c));
    assertFalse(Files.exists(dir.resolve("ran")), "the command never ran");
  }

  @Test
  void aDeadlineNotRenewedTermsTheGroupAndKillsWhatIgnoresIt() throws Exception {
    long t0 = System.nanoTime();
    Child c = Child.start(marking("sleep 60"), Map.of(), KILL_AFTER, Duration.ofMillis(300), null);
    assertEquals(143, exit(c)); // sleep dies of the TERM at the deadline
    c.close();
    Child deaf =
        Child.start(
            marking("trap '' TERM; sleep 60"), Map.of(), KILL_AFTER, Duration.ofMillis(300), null);
    assertEquals(137, exit(deaf)); // KILL, kill-after later
    deaf.close();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    // two deadlines and one kill-after, plus generous room for process starts on a loaded host
    assertTrue(ms < 300 + 300 + 500 + 10_000, "took " + ms + " ms");
  }
}
