package dev.conch.cron;

import dev.conch.base.Durations;
import dev.conch.base.Log;
import dev.conch.coord.Keys;
import dev.conch.proc.Supervisor;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The commands of the ticks this daemon won, each run by {@link Supervisor} on the lease it was
 * claimed with, on a {@code conch-cron-run} thread that waits for its end. The daemon's main thread
 * reaches the ones still going ({@link #going}, {@link #terminate}) through a concurrent map.
 */
final class Runs {
  /** A run going: its job, its claim's revision, and whether {@code cron kill} stopped it. */
  private record Going(String job, long rev, AtomicBoolean killed) {}

  private final Map<Supervisor, Going> running = new ConcurrentHashMap<>();
  private final Duration killAfter;
  private final Trim trim;
  private final Metrics metrics;
  private final Log log;

  Runs(Duration killAfter, Trim trim, Metrics metrics, Log log) {
    this.killAfter = killAfter;
    this.trim = trim;
    this.metrics = metrics;
    this.log = log;
  }

  /** Runs the command of a won tick to its end; the result, to be recorded in the claim. */
  Run run(Job job, Instant tick, String key, long rev, Run claim, Registration r) {
    Log runLog = log.about("cron", job.job());
    String lease = Keys.leaseHex(r.session().lease());
    Map<String, String> env =
        new HashMap<>(Supervisor.env("cron", job.job(), rev, r.session(), key));
    env.put("CONCH_JOB", job.job());
    env.put("CONCH_TICK", tick.toString());
    if (Boolean.TRUE.equals(claim.manual())) env.put("CONCH_MANUAL", "1");
    Duration limit = job.timeoutDuration();
    Supervisor run =
        Supervisor.start(
            r.session(),
            r.lost(),
            new Supervisor.Command(job.cmd(), env, killAfter, limit),
            null,
            new Supervisor.Hooks() {
              @Override
              public void lost(String why, boolean going) {
                if (going) signalled(job.job(), "the daemon's lease was lost");
              }

              @Override
              public void timedOut() {
                runLog.always(
                    "signalled",
                    "ran past --timeout " + Durations.format(limit),
                    "signal",
                    "TERM",
                    "tick",
                    tick.toString(),
                    "rev",
                    rev);
              }
            });
    Duration late = Duration.between(tick, Instant.now());
    metrics.lateness(late);
    runLog.always(
        "started",
        null,
        "tick",
        tick.toString(),
        "rev",
        rev,
        "lease",
        lease,
        "late_ms",
        late.toMillis());
    Supervisor.Outcome end;
    Going going = new Going(job.job(), rev, new AtomicBoolean());
    running.put(run, going);
    try {
      trim.history(job, runLog); // now: the trim's round trips are not in the run's lateness
      end = run.await();
    } finally {
      running.remove(run);
    }
    Run result = claim.finished(Instant.now(), end.exit(), end.timedOut(), going.killed().get());
    metrics.run(job.job(), result.state());
    runLog.always(
        "finished",
        null,
        "state",
        result.state(),
        "exit",
        end.exit(),
        "tick",
        tick.toString(),
        "rev",
        rev,
        "lease",
        lease);
    return result;
  }

  /** How many runs are going. */
  int going() {
    return running.size();
  }

  /** SIGTERM to every run going, each said in its own line. */
  void terminate(String why) {
    running.forEach(
        (run, going) -> {
          signalled(going.job(), why);
          run.signal("TERM");
        });
  }

  /**
   * {@code cron kill}: SIGTERM (SIGKILL after kill-after) to each run of {@code job} claimed before
   * revision {@code before}, the kill request's: a run that started after the request is not the
   * one it meant. Each run is killed once, however often the request is seen.
   */
  void kill(String job, long before, String by) {
    running.forEach(
        (run, going) -> {
          if (going.job().equals(job)
              && going.rev() < before
              && going.killed().compareAndSet(false, true)) {
            signalled(job, "cron kill by " + by);
            metrics.killed(job);
            run.signal("TERM");
          }
        });
  }

  private void signalled(String job, String why) {
    log.about("cron", job).always("signalled", why, "signal", "TERM");
  }
}
