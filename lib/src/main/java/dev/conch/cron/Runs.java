package dev.conch.cron;

import dev.conch.base.Durations;
import dev.conch.base.Log;
import dev.conch.coord.Keys;
import dev.conch.proc.Supervisor;
import dev.conch.proc.Tail;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The commands of the ticks this daemon won, each run by {@link Supervisor} on the lease it was
 * claimed with, on a {@code conch-cron-run} thread that waits for its end; a failed attempt runs
 * again after the job's retry delay, up to its retries. The daemon's main thread reaches the runs
 * going, attempts and the pauses between them alike ({@link #going}, {@link #terminate}), through a
 * concurrent set.
 */
final class Runs {
  /**
   * How long a run's record waits for its output's EOF after the command's group is gone: only a
   * grandchild that left the group (setsid) can hold the pipe longer.
   */
  private static final Duration DRAIN = Duration.ofSeconds(1);

  /**
   * A run going: its job, its claim's revision, its attempt now (null between attempts), and
   * whether it was stopped: by {@code cron kill} ({@code killed}), or by any of kill, the daemon's
   * SIGTERM ({@code stop}); a stopped run is never tried again.
   */
  private static final class Going {
    final String job;
    final long rev;
    final AtomicBoolean killed = new AtomicBoolean();
    final CompletableFuture<String> stop = new CompletableFuture<>();
    volatile Supervisor attempt;

    Going(String job, long rev) {
      this.job = job;
      this.rev = rev;
    }

    /** SIGTERM to the attempt going, if any; and no attempt after it. */
    void stop(String why) {
      stop.complete(why);
      Supervisor s = attempt;
      if (s != null) s.signal("TERM");
    }
  }

  private final Set<Going> running = ConcurrentHashMap.newKeySet();
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

  /**
   * Runs the command of a won tick to its end, its retries included; the result, to be recorded in
   * the claim, and whether the lease was lost meanwhile.
   */
  Ended run(Job job, Instant tick, String key, long rev, Run claim, Registration r) {
    Log runLog = log.about("cron", job.job());
    String lease = Keys.leaseHex(r.session().lease());
    Going going = new Going(job.job(), rev);
    running.add(going);
    List<Attempt> attempts = new ArrayList<>();
    Supervisor.Outcome end;
    try {
      while (true) {
        int n = attempts.size() + 1;
        Tail tail = new Tail(job.outputTailBytes());
        Instant started = Instant.now();
        end = attempt(job, tick, key, rev, claim, r, going, n, tail, runLog);
        byte[] out = tail.await(DRAIN);
        attempts.add(
            new Attempt(
                n,
                started.toString(),
                Instant.now().toString(),
                end.exit(),
                end.timedOut() ? true : null,
                Attempt.text(out),
                tail.total()));
        if (end.exit() == 0 || end.lost() || n > job.retryCount() || pause(job, r, going)) break;
        metrics.retried(job.job());
      }
    } finally {
      running.remove(going);
    }
    Run result = claim.finished(attempts, going.killed.get());
    metrics.run(job.job(), result.state());
    runLog.always(
        "finished",
        null,
        "state",
        result.state(),
        "exit",
        end.exit(),
        "attempts",
        attempts.size(),
        "tick",
        tick.toString(),
        "rev",
        rev,
        "lease",
        lease);
    return new Ended(result, end.lost() || r.session().lost().isDone());
  }

  /** A run's result; {@code lost}: the lease was lost meanwhile, so it will not be recorded. */
  record Ended(Run result, boolean lost) {}

  /**
   * Waits the job's retry delay; true if the run was stopped meanwhile (kill, SIGTERM) or the lease
   * was lost: then there is no next attempt.
   */
  private static boolean pause(Job job, Registration r, Going going) {
    try {
      CompletableFuture.anyOf(going.stop, r.lost())
          .get(job.retryDelayDuration().toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      return going.stop.isDone(); // the delay passed
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      // a lease's loss is a completion, never an exception
    }
    return true;
  }

  /** One attempt, {@code n}, to its end. */
  private Supervisor.Outcome attempt(
      Job job,
      Instant tick,
      String key,
      long rev,
      Run claim,
      Registration r,
      Going going,
      int n,
      Tail tail,
      Log runLog) {
    Map<String, String> env =
        new HashMap<>(Supervisor.env("cron", job.job(), rev, r.session(), key));
    env.put("CONCH_JOB", job.job());
    env.put("CONCH_TICK", tick.toString());
    env.put("CONCH_ATTEMPT", Integer.toString(n));
    if (Boolean.TRUE.equals(claim.manual())) env.put("CONCH_MANUAL", "1");
    Duration limit = job.timeoutDuration();
    Supervisor run =
        Supervisor.start(
            r.session(),
            r.lost(),
            new Supervisor.Command(job.cmd(), env, killAfter, limit, tail),
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
    going.attempt = run;
    if (going.stop.isDone()) run.signal("TERM"); // stopped while it was being started
    Duration late = Duration.between(tick, Instant.now());
    if (n == 1) metrics.lateness(late);
    runLog.always(
        "started",
        null,
        "tick",
        tick.toString(),
        "rev",
        rev,
        "lease",
        Keys.leaseHex(r.session().lease()),
        "attempt",
        n,
        "late_ms",
        late.toMillis());
    // after the start: the trim's round trips are not in the run's lateness
    if (n == 1) trim.history(job, runLog);
    try {
      return run.await();
    } finally {
      going.attempt = null;
    }
  }

  /** How many runs are going. */
  int going() {
    return running.size();
  }

  /** SIGTERM to every run going, each said in its own line; none is tried again. */
  void terminate(String why) {
    running.forEach(
        going -> {
          signalled(going.job, why);
          going.stop(why);
        });
  }

  /**
   * {@code cron kill}: SIGTERM (SIGKILL after kill-after) to each run of {@code job} claimed before
   * revision {@code before}, the kill request's: a run that started after the request is not the
   * one it meant. Each run is killed once, however often the request is seen, and never retried.
   */
  void kill(String job, long before, String by) {
    running.forEach(
        going -> {
          if (going.job.equals(job)
              && going.rev < before
              && going.killed.compareAndSet(false, true)) {
            signalled(job, "cron kill by " + by);
            metrics.killed(job);
            going.stop("cron kill by " + by);
          }
        });
  }

  private void signalled(String job, String why) {
    log.about("cron", job).always("signalled", why, "signal", "TERM");
  }
}
