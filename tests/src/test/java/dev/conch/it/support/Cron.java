package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Json;
import dev.conch.cron.Run;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** The cron table and its daemons as a test drives and reads them: jobs, daemons, run records. */
public final class Cron {
  private Cron() {}

  /**
   * A job command that logs "TICK START-NANOS PID REV" to {@code log}, then sleeps {@code secs}.
   */
  public static List<String> logging(Path log, String secs) {
    return List.of(
        "--",
        "bash",
        "-c",
        "echo \"$CONCH_TICK $(date +%s%N) $$ $CONCH_REV $CONCH_LEASE\" >> '"
            + log
            + "'; sleep "
            + secs);
  }

  public static void add(Conch c, String job, String... specAndCmd) {
    Conch.Run r = c.run(Args.array(List.of("cron", "add", job), List.of(specAndCmd)));
    assertEquals(0, r.exit(0), r.stderr());
  }

  /** The run records of a job in etcd, by tick (epoch ms). */
  public static Map<Long, Run> runs(Conch c, String job) {
    String out =
        Etcdctl.run(c.endpoint, "get", "--prefix", c.prefix + "/v1/cron/runs/" + job + "/").out();
    List<String> lines = out.lines().toList();
    Map<Long, Run> runs = new TreeMap<>();
    for (int i = 0; i + 1 < lines.size(); i += 2) {
      String key = lines.get(i);
      runs.put(
          Long.parseLong(key.substring(key.lastIndexOf('/') + 1)),
          Json.read(lines.get(i + 1), Run.class).orElseThrow());
    }
    return runs;
  }

  /** The record of a tick once it is no longer {@code running} (or still running after 10 s). */
  public static Run awaitResult(Conch c, String job, long tick) {
    long end = System.nanoTime() + 10_000_000_000L;
    while (runs(c, job).get(tick).state().equals(Run.RUNNING) && System.nanoTime() < end) {
      Procs.nap(100); // the daemon writes the result into etcd; we read it back
    }
    return runs(c, job).get(tick);
  }

  /**
   * Waits (30 s at most) until {@code done} holds of {@code job}'s records in etcd: read with
   * etcdctl, cheap enough to poll, where polling {@code cron ls} would start a JVM each time.
   */
  public static Map<Long, Run> awaitRuns(Conch c, String job, Predicate<Map<Long, Run>> done) {
    long end = System.nanoTime() + 30_000_000_000L;
    Map<Long, Run> runs;
    while (!done.test(runs = runs(c, job))) {
      if (System.nanoTime() > end) throw new AssertionError(job + "'s records: " + runs);
      Procs.nap(100); // the daemon writes the records in another process; we read them back
    }
    return runs;
  }

  /** {@code n} daemons started with {@code opts}, returned once all have registered. */
  public static List<Conch.Run> daemons(Conch c, int n, String... opts) {
    List<Conch.Run> ds = new ArrayList<>();
    for (int i = 0; i < n; i++) ds.add(c.start(Args.array(List.of("daemon"), List.of(opts))));
    c.awaitKeysUnder("/v1/daemons/", n);
    return ds;
  }

  /**
   * Conch (same prefix and files) whose processes see the host's clock shifted by {@code offset}
   * (libfaketime's FAKETIME, e.g. "+30s"), and so do their children: they inherit the variables.
   * The monotonic clock is shifted too (libfaketime's default), by a constant, so durations hold;
   * with FAKETIME_DONT_FAKE_MONOTONIC=1 a JVM started two to three times slower and overslept its
   * sleeps by up to 0.3 s (libfaketime 0.9.10).
   */
  public static Conch skewed(Conch c, String offset) {
    return c.build(Conch.classpath()).env("LD_PRELOAD", libfaketime()).env("FAKETIME", offset);
  }

  private static String libfaketime() {
    try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
      return dirs.map(d -> d.resolve("faketime/libfaketime.so.1"))
          .filter(Files::exists)
          .findFirst()
          .orElseThrow(() -> new AssertionError("no libfaketime: run scripts/setup-debian.sh"))
          .toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** When every daemon has said it is up: registered, table loaded, ticks armed. */
  public static long awaitUp(List<Conch.Run> ds) {
    long end = System.nanoTime() + 30_000_000_000L;
    while (!ds.stream().allMatch(d -> d.stderr().contains(": up "))) {
      if (System.nanoTime() > end)
        throw new AssertionError("daemons not up: " + ds.get(0).stderr());
      Procs.nap(20); // the daemons say so on their stderr
    }
    return System.currentTimeMillis();
  }

  /** Waits until a logged tick (the first field of a line) is at or after {@code tick}. */
  public static void awaitTick(Path log, long tick, long millis) {
    long end = System.nanoTime() + millis * 1_000_000;
    while (Conch.lines(log).stream()
        .noneMatch(l -> Instant.parse(l.split(" ")[0]).toEpochMilli() >= tick)) {
      if (System.nanoTime() > end)
        throw new AssertionError("no tick at or after " + tick + ": " + Conch.lines(log));
      Procs.nap(20); // the children write to a file
    }
  }

  /** The runs of {@code job} as {@code cron ls JOB --json} shows them, newest first. */
  public static List<Map<?, ?>> shownRuns(Conch c, String job) {
    Conch.Run ls = c.run("cron", "ls", job, "--json");
    assertEquals(0, ls.exit(0), ls.stderr());
    Map<?, ?> o = Json.read(ls.stdout(), Map.class).orElseThrow();
    Map<?, ?> j = (Map<?, ?>) ((List<?>) o.get("jobs")).get(0);
    return ((List<?>) j.get("runs")).stream().<Map<?, ?>>map(r -> (Map<?, ?>) r).toList();
  }

  /**
   * Every tick of {@code job} in [from, to] ran exactly once, with one ok result, never early and
   * no tick twice (its children log as {@link #logging}); returns each logged run's lateness (ms).
   */
  public static List<Long> assertEveryTickOnce(Conch c, String job, Path log, long from, long to) {
    List<String> lines = Conch.lines(log);
    List<Long> ticks = new ArrayList<>();
    List<Long> lateness = new ArrayList<>();
    for (String l : lines) {
      String[] f = l.split(" ");
      long tick = Instant.parse(f[0]).toEpochMilli();
      long startMs = Long.parseLong(f[1]) / 1_000_000;
      assertTrue(
          startMs >= tick,
          "never early: run of " + f[0] + " started " + (tick - startMs) + " ms before its tick");
      ticks.add(tick);
      lateness.add(startMs - tick);
    }
    assertEquals(ticks.size(), ticks.stream().distinct().count(), "no tick ran twice: " + lines);
    Map<Long, Run> runs = runs(c, job);
    for (long t = (from + 999) / 1000 * 1000; t <= to; t += 1000) {
      assertEquals(1, Collections.frequency(ticks, t), "tick " + t + " ran once: " + ticks);
      assertEquals(Run.OK, runs.get(t).state(), "one ok result for tick " + t + ": " + runs);
    }
    return lateness;
  }
}
