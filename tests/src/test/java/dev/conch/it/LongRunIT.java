package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Json;
import dev.conch.coord.Keys;
import dev.conch.cron.Job;
import dev.conch.cron.Table;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Footprint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Long runs without leaks (issue 15, item 7): an {@code elect --restart} service whose command ends
 * at once and is run again, and a conchd firing {@link #JOBS} jobs {@code @every 1s}. Each JVM and
 * etcd are sampled ({@link Footprint}) after a warm-up and at the end, and must stay flat. The
 * suite runs a short version; scripts/long-runs.sh runs 10,000 restarts and 10,000 ticks ({@code
 * -Dconch.long.restarts=N -Dconch.long.ticks=N}).
 */
class LongRunIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  private static final int RESTARTS = Integer.getInteger("conch.long.restarts", 300);
  private static final int TICKS = Integer.getInteger("conch.long.ticks", 300);

  /** One daemon's jobs, each {@code @every 1s}: the ticks of a second come this many at once. */
  private static final int JOBS = 25;

  /**
   * Runs before the first sample: classes loaded, code compiled, the JDK's pools (process reaper,
   * gRPC's) at their working size.
   */
  private static final int WARM_UP = 100;

  /**
   * Per run: a wrapper's restart (spawn of the watchdog and the command, a few ms) or a tick's
   * claim and run, on a loaded 2-core machine; generous, as only the end matters here.
   */
  private static final long MS_PER_RUN = 200;

  @Test
  void electRestartingItsCommandLeaksNothing() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("runs");
    // A run of `true` is never stable, so the backoff doubles up to --backoff-max: at 1 ms the
    // restarts follow each other at once, which compresses hours of a crash-looping service.
    Conch.Run w =
        c.start(
            "elect",
            "svc",
            "--restart",
            "--backoff-max",
            "1ms",
            "--",
            "sh",
            "-c",
            "echo $CONCH_REV >> '" + log + "'");
    Footprint start = warmedUp(w, false, c, log);
    long t0 = System.nanoTime();
    Conch.awaitLines(log, WARM_UP + RESTARTS, RESTARTS * MS_PER_RUN + 30_000);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    Footprint end = Footprint.of(w.pid(), false, c, etcd.server());
    Footprint.print(
        String.format(
            "elect --restart: %d restarts in %d ms (%.1f ms each)",
            RESTARTS, ms, (double) ms / RESTARTS),
        start,
        end);
    assertEquals(1, Conch.lines(log).stream().distinct().count(), "one lease all along: " + log);
    Footprint.assertFlat(start, end, 1, 1); // the candidate key, on the one lease
    w.stop();
    assertEquals(List.of(), c.keys(), "the key goes with the wrapper");
  }

  @Test
  void daemonTickingManyJobsLeaksNothing() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("runs");
    copies(c, log);
    Conch.Run d = Cron.daemons(c, 1).get(0);
    Footprint start = warmedUp(d, true, c, log);
    long t0 = System.nanoTime();
    Conch.awaitLines(log, WARM_UP + TICKS, TICKS / JOBS * 1000 + TICKS * MS_PER_RUN + 30_000);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    Footprint end = Footprint.of(d.pid(), true, c, etcd.server());
    Footprint.print(
        String.format("conchd: %d ticks of %d jobs @every 1s in %d ms", TICKS, JOBS, ms),
        start,
        end);
    // History is trimmed to --keep, but never a record younger than the claim horizon (no daemon
    // may claim its tick again): per job the horizon's ticks, the one being claimed and a margin
    // of one; plus the job keys and the daemon's. Binding once a run is longer than the horizon.
    // the daemon's default --max-lateness, and twice the clock skew the trim allows for
    long horizon = Duration.ofSeconds(10).plus(Table.CLOCK_SKEW.multipliedBy(2)).toSeconds();
    Footprint.assertFlat(start, end, JOBS * (horizon + 3) + JOBS + 1, JOBS);
    assertEquals(0, d.stop(), d.stderr());
  }

  /** The footprint of {@code run} once its commands have run {@link #WARM_UP} times. */
  private static Footprint warmedUp(Conch.Run run, boolean betweenRuns, Conch c, Path log) {
    Conch.awaitLines(log, WARM_UP, WARM_UP * MS_PER_RUN + 30_000);
    return Footprint.of(run.pid(), betweenRuns, c, etcd.server());
  }

  /**
   * {@link #JOBS} jobs that log their runs to {@code log}: one added by {@code cron add} (a JVM
   * start), the others copies of it under other names, written by etcdctl (a JVM start each would
   * take longer than the short run).
   */
  private static void copies(Conch c, Path log) {
    Cron.add(
        c,
        "j0",
        "--schedule",
        "@every 1s",
        "--keep",
        "1",
        "--",
        "sh",
        "-c",
        "echo $CONCH_JOB >> '" + log + "'");
    Keys keys = Keys.under(c.prefix);
    Job j0 =
        Json.read(
                Etcdctl.run(c.endpoint, "get", keys.cronJob("j0"), "--print-value-only").out(),
                Job.class)
            .orElseThrow();
    for (int i = 1; i < JOBS; i++) {
      Job j =
          new Job(
              "j" + i,
              j0.schedule(),
              j0.tz(),
              j0.timeout(),
              j0.overlap(),
              j0.keep(),
              j0.cmd(),
              j0.addedBy(),
              j0.added());
      assertEquals(0, Etcdctl.run(c.endpoint, "put", keys.cronJob(j.job()), Json.write(j)).code());
    }
    assertTrue(JOBS <= Etcdctl.keys(c.endpoint, keys.cronJobs()).size());
  }
}
