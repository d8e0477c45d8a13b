package dev.conch.it;

import static dev.conch.it.support.Cron.add;
import static dev.conch.it.support.Cron.assertEveryTickOnce;
import static dev.conch.it.support.Cron.awaitTick;
import static dev.conch.it.support.Cron.awaitUp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Table;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cron daemons whose clocks disagree (issue 15, item 4): one on the host's clock, one ahead under
 * libfaketime, with {@code --keep 1} so that only the claim horizon keeps a run's record. The one
 * ahead runs each tick first; the host's daemon comes to the same tick {@code conch.skew} seconds
 * later and must find its record still there. {@code scripts/clock-skew.sh} runs this at and past
 * the horizon (the largest --max-lateness plus 2 minutes).
 */
class ClockSkewIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  private static final int SKEW = Integer.getInteger("conch.skew", 30);

  /** Both daemons' --max-lateness (the default) plus twice the skew the trim allows for. */
  private static final Duration HORIZON =
      Duration.ofSeconds(10).plus(Table.CLOCK_SKEW.multipliedBy(2));

  /**
   * A run as its child logged it: tick, start on its daemon's clock, lease, start on the host's.
   */
  private record Line(long tick, long startMs, String lease, long hostMs) {
    static Line parse(String l) {
      String[] f = l.split(" ");
      return new Line(
          Instant.parse(f[0]).toEpochMilli(),
          Long.parseLong(f[1]) / 1_000_000,
          f[2],
          Long.parseLong(f[3]) / 1_000_000);
    }

    long clockOffset() {
      return startMs - hostMs;
    }
  }

  @Test
  void aTickRunsOnceOnTheClockAheadAndNeverAgainOnTheClockBehind() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    // the child logs its start on its daemon's clock (it inherits libfaketime) and on the host's
    add(
        c,
        "skew",
        "--schedule",
        "@every 1s",
        "--overlap",
        "allow",
        "--keep",
        "1",
        "--",
        "bash",
        "-c",
        "echo \"$CONCH_TICK $(date +%s%N) $CONCH_LEASE $(env -u LD_PRELOAD date +%s%N)\" >> '"
            + log
            + "'");
    Conch.Run host = c.start("daemon", "-v");
    Conch.Run ahead = Cron.skewed(c, "+" + SKEW + "s").start("daemon", "-v");
    c.awaitKeysUnder("/v1/daemons/", 2);
    long from = awaitUp(List.of(host, ahead)) + 1000;
    // the daemon ahead starts at ticks SKEW s ahead of the host's (no catch-up on its own clock)
    awaitTick(log, from + SKEW * 1000L - 1000, 30_000);
    long firstAhead =
        Conch.lines(log).stream()
            .map(Line::parse)
            .filter(l -> l.clockOffset() > SKEW * 500L)
            .mapToLong(Line::tick)
            .min()
            .orElseThrow();
    // the window ends 2 ticks into those the daemon ahead ran before the host's daemon came to them
    long to = firstAhead + 2000;
    awaitHostDealtWith(host, log, to, SKEW * 1000L + 30_000);
    assertEquals(0, ahead.stop(), ahead.stderr());
    assertEquals(0, host.stop(), host.stderr());
    // the last trim, on the clock ahead, deleted the records older than the claim horizon
    long trimmed = System.currentTimeMillis() + SKEW * 1000L - HORIZON.toMillis();

    List<Line> lines = Conch.lines(log).stream().map(Line::parse).toList();
    Map<String, Long> offsets = new TreeMap<>();
    Map<Long, Integer> runs = new TreeMap<>();
    for (Line l : lines) {
      runs.merge(l.tick(), 1, Integer::sum);
      long expected = offsets.computeIfAbsent(l.lease(), k -> l.clockOffset());
      assertTrue(
          Math.abs(l.clockOffset() - expected) < 1000,
          "a daemon's children share its clock: " + l + " vs " + expected);
    }
    List<Long> twice = runs.keySet().stream().filter(t -> runs.get(t) > 1).toList();
    List<Long> notRun = new ArrayList<>();
    for (long t = (from + 999) / 1000 * 1000; t <= to; t += 1000)
      if (!runs.containsKey(t)) notRun.add(t);
    long earlyOnHost =
        lines.stream().mapToLong(l -> l.tick() - l.hostMs()).max().orElse(Long.MIN_VALUE);
    System.out.printf(
        "clock skew %d s, --keep 1: %d ticks run, %d of them twice, %d of the window's not run;"
            + " clock offsets by lease %s ms; most early on the host's clock %d ms%n",
        SKEW, runs.size(), twice.size(), notRun.size(), offsets, earlyOnHost);

    assertEquals(2, offsets.size(), "both daemons ran ticks: " + offsets);
    assertTrue(
        offsets.values().stream().anyMatch(o -> Math.abs(o - SKEW * 1000L) < 1000),
        "the children of the daemon ahead inherit its clock: " + offsets);
    assertEquals(List.of(), twice, "no tick ran twice");
    assertEquals(List.of(), notRun, "every tick of the window ran");
    for (Line l : lines)
      assertEquals(
          l.tick() >= firstAhead,
          l.clockOffset() > SKEW * 500L,
          "the daemon ahead ran every tick from its first on, the host's every tick before: " + l);
    // also never early on its daemon's clock; one ok record for each tick the trim had to keep
    assertEveryTickOnce(c, "skew", log, Math.max(from, trimmed + 1000), to);
  }

  /** Until the host's daemon has run tick {@code tick} or logged that it lost it. */
  private static void awaitHostDealtWith(Conch.Run host, Path log, long tick, long millis) {
    String iso = Instant.ofEpochMilli(tick).toString();
    long end = System.nanoTime() + millis * 1_000_000;
    while (host.stderr().lines().noneMatch(l -> l.contains("tick-lost") && l.contains(iso))
        && Conch.lines(log).stream()
            .map(Line::parse)
            .noneMatch(l -> l.tick() == tick && Math.abs(l.clockOffset()) < 1000)) {
      if (System.nanoTime() > end)
        throw new AssertionError("the host's daemon never came to " + iso + ": " + host.stderr());
      Procs.nap(50); // the daemon writes its stderr, the children the log
    }
  }
}
