package dev.conch.proc;

import dev.conch.base.Durations;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The command, run under conch's dead man's switch (watchdog.sh): in a process group of its own,
 * with the wrapper's stdin, stdout and stderr, and killed by the watchdog if the wrapper stops
 * renewing the deadline, dies, or says so. The exit status is the command's own (128+N when killed
 * by signal N), reported only once nothing of its group is left.
 *
 * <p>The watchdog may be {@link #park parked} ahead of time: spawned, but running nothing until
 * {@link #go}, so a waiting wrapper pays the process starts before its turn and not inside the
 * handover. A parked watchdog that never hears "go" exits once its FIFO is closed: by {@link
 * #close}, or by this JVM's death.
 */
public final class Child {
  private static final String WATCHDOG = resource("watchdog.sh");
  private final Process process;
  private final RandomAccessFile control;
  private long deadlineNanos; // the latest deadline the watchdog was told, on System.nanoTime()

  private Child(Process process, RandomAccessFile control) {
    this.process = process;
    this.control = control;
  }

  /**
   * Does once, ahead of time, what a JVM's first {@link #start} would do cold (a temporary name,
   * whose SecureRandom seeds itself; the JDK's process launcher): a watchdog parked and closed, so
   * it exits having run nothing. For callers that cannot park their command ahead of its start.
   */
  public static void warmUp() {
    park(List.of("true"), Map.of(), Duration.ZERO, null).close();
  }

  private static Path fifo() throws IOException, InterruptedException {
    Path fifo = Files.createTempDirectory("conch-").resolve("ctl");
    if (new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).inheritIO().start().waitFor()
        != 0) {
      throw new IOException("mkfifo " + fifo + " failed");
    }
    return fifo;
  }

  /**
   * Starts {@code cmd}; the watchdog kills it unless renewed within {@code deadline}. Its stdout
   * and stderr are ours, through {@code tail} if not null (which keeps their last bytes).
   */
  public static Child start(
      List<String> cmd, Map<String, String> env, Duration killAfter, Duration deadline, Tail tail) {
    Child c = park(cmd, env, killAfter, tail);
    c.go(deadline);
    return c;
  }

  /** Spawns the watchdog of {@code cmd}, which waits for {@link #go} to start it. */
  public static Child park(
      List<String> cmd, Map<String, String> env, Duration killAfter, Tail tail) {
    try {
      Path fifo = fifo();
      // Opened read-write so that opening never blocks; the watchdog sees EOF once this JVM is
      // gone.
      RandomAccessFile control = new RandomAccessFile(fifo.toFile(), "rw");
      List<String> argv =
          new ArrayList<>(
              List.of(
                  "setsid",
                  "bash",
                  "-c",
                  WATCHDOG,
                  "conch",
                  fifo.toString(),
                  Durations.seconds(killAfter),
                  Long.toString(Math.max(1, killAfter.toMillis() / 100))));
      argv.addAll(cmd);
      ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
      // the etcd password is for conch alone: the command (and whatever it runs) never sees it
      pb.environment().remove("CONCH_PASSWORD");
      pb.environment().putAll(env);
      if (tail != null)
        pb.redirectOutput(ProcessBuilder.Redirect.PIPE).redirectError(ProcessBuilder.Redirect.PIPE);
      Process p = pb.start();
      if (tail != null) tail.pump(p);
      return new Child(p, control);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts the parked command, to be killed unless renewed within {@code deadline}; before any
   * {@link #renew}.
   */
  public synchronized void go(Duration deadline) {
    deadlineNanos = System.nanoTime() + deadline.toNanos();
    tell("g " + Durations.seconds(atLeastOneMs(deadline)));
  }

  /**
   * The deadline is now {@code remaining} away. Renewals told from two threads (a keepalive's, and
   * the supervisor's own after it started listening) may cross: the watchdog is always told the
   * latest deadline either has seen, never an older one after a newer.
   */
  public synchronized void renew(Duration remaining) {
    long at = System.nanoTime() + remaining.toNanos();
    if (at - deadlineNanos > 0) deadlineNanos = at;
    tell(
        "d "
            + Durations.seconds(atLeastOneMs(Duration.ofNanos(deadlineNanos - System.nanoTime()))));
  }

  // bash's read -t 0 only polls and would spin; a deadline due now is a deadline 1 ms away
  private static Duration atLeastOneMs(Duration d) {
    return d.toMillis() < 1 ? Duration.ofMillis(1) : d;
  }

  /** Sends {@code signal} (TERM, INT, HUP) to the whole group, then KILL after kill-after. */
  public void signal(String signal) {
    tell("s " + signal);
  }

  /** The exit status, once the command and all of its group are gone. */
  public CompletableFuture<Integer> exit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  private synchronized void tell(String line) {
    try {
      if (process.isAlive()) control.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      // the watchdog is gone, so the group is being or has been killed already
    }
  }

  /**
   * Closes the control channel: a parked watchdog exits, its command never run; a started one reads
   * it as our death, so close that only after {@link #exit()} completed.
   */
  public void close() {
    try {
      control.close();
    } catch (IOException e) {
      // nothing to do: closing is what EOF is for
    }
  }

  private static String resource(String name) {
    try (InputStream in = Child.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
