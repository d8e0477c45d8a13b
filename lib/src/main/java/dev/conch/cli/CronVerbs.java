package dev.conch.cli;

import dev.conch.base.Durations;
import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import dev.conch.base.Log;
import dev.conch.base.Text;
import dev.conch.coord.Keys;
import dev.conch.cron.Attempt;
import dev.conch.cron.Job;
import dev.conch.cron.Kill;
import dev.conch.cron.Pause;
import dev.conch.cron.Run;
import dev.conch.cron.RunNow;
import dev.conch.cron.Table;
import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * {@code conch cron pause|resume|run|kill} (contract section 8b): what the cron script calls once
 * picocli has parsed.
 */
public final class CronVerbs {
  private CronVerbs() {}

  /** What a verb does with a checked job name, on one connection; returns the exit code. */
  private interface Verb {
    int on(Client client, Keys keys, Connection c, Log log) throws Exception;
  }

  /** Checks JOB and {@code --timeout} (null: the verb has none) before connecting. */
  private static int guarded(ConnectionOptions conn, String job, Duration timeout, Verb verb) {
    Log log = Log.text("cron", job);
    return Tool.guarded(
        log,
        () -> {
          Keys keys = conn.keys();
          keys.cronJob(job);
          if (timeout != null && (timeout.isZero() || timeout.isNegative()))
            throw Failure.badInput("--timeout must be more than 0s");
          Connection c = conn.connection();
          try (Client client = Etcd.connect(c)) {
            return verb.on(client, keys, c, log);
          }
        });
  }

  /** A verb on a job that must exist, running or paused: its spec; an unknown JOB exits 1. */
  private interface JobVerb {
    int on(Client client, Keys keys, Connection c, Log log, Job spec) throws Exception;
  }

  private static int onJob(ConnectionOptions conn, String job, Duration timeout, JobVerb verb) {
    return guarded(
        conn,
        job,
        timeout,
        (client, keys, c, log) -> {
          Job spec = new Pause(client, keys, c.dialTimeout()).spec(job).orElse(null);
          return spec == null ? unknown(log) : verb.on(client, keys, c, log, spec);
        });
  }

  private static int unknown(Log log) {
    log.always("error", "no such job", "exit", ExitCode.NOTHING);
    return ExitCode.NOTHING;
  }

  public static int pause(ConnectionOptions conn, String job) {
    return move(conn, job, (p, c) -> p.pause(job, CronTool.who(c)), "paused", "was paused already");
  }

  public static int resume(ConnectionOptions conn, String job) {
    return move(conn, job, (p, c) -> p.resume(job), "resumed", "was not paused");
  }

  /** A pause or a resume: idempotent, so finding it done already is said, and exits 0. */
  private static int move(
      ConnectionOptions conn,
      String job,
      BiFunction<Pause, Connection, Pause.Result> how,
      String event,
      String already) {
    return guarded(
        conn,
        job,
        null,
        (client, keys, c, log) -> {
          Pause.Result r = how.apply(new Pause(client, keys, c.dialTimeout()), c);
          if (r == Pause.Result.UNKNOWN) return unknown(log);
          if (r == Pause.Result.ALREADY) log.always(event, already);
          return ExitCode.OK;
        });
  }

  /**
   * Requests a run now and waits until a daemon takes it (then, with {@code wait}, until it ends:
   * the run's status); 75 if none took it within {@code timeout}.
   */
  public static int run(ConnectionOptions conn, String job, boolean wait, Duration timeout) {
    return onJob(
        conn,
        job,
        timeout,
        (client, keys, c, log, spec) -> {
          RunNow now = new RunNow(client, keys, c.dialTimeout());
          long asked = System.nanoTime();
          RunNow.Asked a = now.request(spec, CronTool.who(c));
          Run claim = now.claimed(job, a, timeout);
          if (claim == null) {
            log.always(
                "not-acquired",
                "no daemon took the request within --timeout "
                    + Durations.format(timeout)
                    + "; withdrawn (is a conchd of this release, allowing the job, running?)",
                "exit",
                ExitCode.NOT_ACQUIRED);
            return ExitCode.NOT_ACQUIRED;
          }
          log.always(
              "taken",
              null,
              "tick",
              claim.tick(),
              "on",
              claim.host(),
              "daemon",
              claim.daemon(),
              "after_ms",
              (System.nanoTime() - asked) / 1_000_000);
          if (!wait) return ExitCode.OK;
          Run end =
              Run.RUNNING.equals(claim.state())
                  ? now.result(job, claim, new CompletableFuture<>())
                  : claim;
          if (end == null) {
            log.always(
                "zombie",
                "the daemon running it vanished; its run is killed with it and never run again",
                "exit",
                ExitCode.LEASE_LOST);
            return ExitCode.LEASE_LOST;
          }
          if (Run.SKIPPED.equals(end.state())) {
            log.always(
                Run.SKIPPED,
                "the previous run is still going (--overlap skip)",
                "exit",
                ExitCode.NOT_ACQUIRED);
            return ExitCode.NOT_ACQUIRED;
          }
          printOutput(end);
          log.always(end.state(), null, "exit", end.exitCode(), "attempts", attempts(end));
          return end.exitCode();
        });
  }

  private static Integer attempts(Run r) {
    return r.attempts() == null ? null : r.attempts().size();
  }

  /** The run's stored output tail on stdout, its control characters escaped; false if none. */
  private static boolean printOutput(Run r) {
    Attempt last = r.lastAttempt();
    if (last == null || last.output() == null) return false;
    String text = Text.lines(last.output());
    System.out.print(text.isEmpty() || text.endsWith("\n") ? text : text + "\n");
    return true;
  }

  /**
   * {@code cron output}: the newest finished run's output tail, or {@code tick}'s (an instant as
   * cron ls shows it, or its epoch milliseconds); 1 if that run has none stored.
   */
  public static int output(ConnectionOptions conn, String job, String tick) {
    Instant at = tick == null ? null : tickInstant(tick);
    return onJob(
        conn,
        job,
        null,
        (client, keys, c, log, spec) -> {
          for (Run r : new Table(client, keys, c.dialTimeout()).runs(job, 0)) {
            boolean wanted =
                at == null
                    ? !Run.RUNNING.equals(r.state()) && r.lastAttempt() != null
                    : at.toString().equals(r.tick());
            if (wanted && printOutput(r)) return ExitCode.OK;
            if (wanted) break;
          }
          log.always(
              "error",
              (at == null ? "no finished run" : "no run at tick " + at) + " has output stored",
              "exit",
              ExitCode.NOTHING);
          return ExitCode.NOTHING;
        });
  }

  private static Instant tickInstant(String tick) {
    try {
      return tick.matches("[0-9]{1,13}")
          ? Instant.ofEpochMilli(Long.parseLong(tick))
          : Instant.parse(tick);
    } catch (java.time.format.DateTimeParseException e) {
      throw Failure.badInput(
          "--tick is an instant as cron ls shows it, or epoch ms, not " + Text.quote(tick));
    }
  }

  /** SIGTERM to every going run of the job, wherever; waits up to {@code timeout} for the ends. */
  public static int kill(ConnectionOptions conn, String job, Duration timeout) {
    return onJob(
        conn,
        job,
        timeout,
        (client, keys, c, log, spec) -> {
          List<Run> going = Kill.going(new Table(client, keys, c.dialTimeout()), spec);
          if (going.isEmpty()) {
            log.always("error", "nothing is going", "exit", ExitCode.NOTHING);
            return ExitCode.NOTHING;
          }
          log.always("requested", "kill of " + going.size() + " run(s) going", "at", Instant.now());
          List<Run> ended =
              new Kill(client, keys, c.dialTimeout()).kill(job, going, CronTool.who(c), timeout);
          for (Run r : ended)
            if (r != null)
              log.always("killed", null, "tick", r.tick(), "on", r.host(), "exit", r.exitCode());
          if (ended.size() < going.size()) {
            log.always(
                "not-acquired",
                (going.size() - ended.size())
                    + " run(s) still going after --timeout "
                    + Durations.format(timeout)
                    + ": a conchd of an older release ignores cron kill",
                "exit",
                ExitCode.NOT_ACQUIRED);
            return ExitCode.NOT_ACQUIRED;
          }
          if (ended.stream().anyMatch(Objects::isNull))
            log.always("zombie", "a daemon running it vanished; its run dies with it");
          return ExitCode.OK;
        });
  }
}
