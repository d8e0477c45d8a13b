package dev.conch.cron;

import dev.conch.base.Durations;
import dev.conch.base.Host;
import dev.conch.base.Log;
import dev.conch.proc.Child;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * conchd's {@code --on-failure 'CMD'}: {@code sh -c CMD} once after each run of this daemon that
 * ended {@code failed}, its retries done, unless {@code cron kill} ended it. It runs under the same
 * dead man's switch as a run ({@link Child}), whose deadline is the hook's timeout: past it, its
 * group gets SIGTERM, then SIGKILL after kill-after, even if the daemon died meanwhile. Its failure
 * is logged and counted, never retried. Runs on the run's {@code conch-cron-run} thread.
 */
final class OnFailure {
  private final String cmd;
  private final Duration timeout;
  private final Duration killAfter;
  private final Metrics metrics;
  private final Log log;

  /** {@code cmd}: null for no hook. */
  OnFailure(String cmd, Duration timeout, Duration killAfter, Metrics metrics, Log log) {
    this.cmd = cmd;
    this.timeout = timeout;
    this.killAfter = killAfter;
    this.metrics = metrics;
    this.log = log;
  }

  /** After {@code job}'s run, claimed at revision {@code rev}, was recorded as {@code result}. */
  void after(Job job, long rev, Run result) {
    if (cmd == null || !Run.FAILED.equals(result.state()) || Boolean.TRUE.equals(result.killed()))
      return;
    Log hookLog = log.about("cron", job.job());
    Path output = null;
    long t0 = System.nanoTime();
    int exit;
    try {
      output = Files.createTempFile("conch-output-", ".txt"); // mode 600: the output may be secret
      Attempt last = result.lastAttempt();
      Files.writeString(
          output,
          last == null || last.output() == null ? "" : last.output(),
          StandardCharsets.UTF_8);
      Map<String, String> env = new HashMap<>();
      env.put("CONCH_JOB", job.job());
      env.put("CONCH_TICK", result.tick());
      env.put("CONCH_REV", Long.toString(rev));
      env.put("CONCH_STATE", result.state());
      env.put("CONCH_EXIT", String.valueOf(result.exitCode()));
      env.put("CONCH_HOST", Host.name());
      env.put("CONCH_OUTPUT", output.toString());
      Child hook = Child.start(List.of("sh", "-c", cmd), env, killAfter, timeout, null);
      exit = hook.exit().join();
      hook.close();
    } catch (IOException | RuntimeException e) {
      metrics.hook(job.job(), false);
      hookLog.always("hook-failed", "--on-failure could not run: " + e.getMessage());
      return;
    } finally {
      delete(output);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    metrics.hook(job.job(), exit == 0);
    if (exit != 0)
      hookLog.always(
          "hook-failed",
          took.compareTo(timeout) >= 0
              ? "--on-failure ran past --on-failure-timeout " + Durations.format(timeout)
              : "--on-failure exited " + exit + "; not retried",
          "exit",
          exit,
          "tick",
          result.tick());
    else hookLog.verbose("hook", "--on-failure ran", "ms", took.toMillis(), "tick", result.tick());
  }

  private static void delete(Path p) {
    try {
      if (p != null) Files.deleteIfExists(p);
    } catch (IOException e) {
      // a temporary file left behind is the OS's to clean
    }
  }
}
