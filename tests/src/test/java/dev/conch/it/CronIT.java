package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.coord.Json;
import dev.conch.cron.Run;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** conch cron and conchd end to end (contract section 8): real etcd, real daemon processes. */
class CronIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /**
   * A job command that logs "TICK START-NANOS PID REV" to {@code log}, then sleeps {@code secs}.
   */
  static List<String> logging(Path log, String secs) {
    return List.of(
        "--",
        "bash",
        "-c",
        "echo \"$CONCH_TICK $(date +%s%N) $$ $CONCH_REV $CONCH_LEASE\" >> '"
            + log
            + "'; sleep "
            + secs);
  }

  static void add(Conch c, String job, String... specAndCmd) {
    List<String> args = new ArrayList<>(List.of("cron", "add", job));
    args.addAll(List.of(specAndCmd));
    Conch.Run r = c.run(args.toArray(String[]::new));
    assertEquals(0, r.exit(0), r.stderr());
  }

  static String[] args(List<String> head, List<String> tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(tail);
    return all.toArray(String[]::new);
  }

  /** The run records of a job in etcd, by tick (epoch ms). */
  static Map<Long, Run> runs(Conch c, String job) {
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
  static Run awaitResult(Conch c, String job, long tick) {
    long end = System.nanoTime() + 10_000_000_000L;
    while (runs(c, job).get(tick).state().equals(Run.RUNNING) && System.nanoTime() < end) {
      Procs.nap(100); // the daemon writes the result into etcd; we read it back
    }
    return runs(c, job).get(tick);
  }

  static List<Conch.Run> daemons(Conch c, int n, String... opts) {
    List<Conch.Run> ds = new ArrayList<>();
    for (int i = 0; i < n; i++) ds.add(c.start(args(List.of("daemon"), List.of(opts))));
    ElectIT.awaitKeysUnder(c, "/v1/daemons/", n);
    return ds;
  }

  @Test
  void threeDaemonsRunEveryTickExactlyOnceNeverEarly() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    // overlap allow: a result written a little after the next tick (a loaded machine) must not turn
    // that
    // tick into a skip; this test is about claims, overlapSkipNeverStartsARunWhileAnotherIsGoing
    // about skips
    add(
        c,
        "tick",
        args(
            List.of("--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"),
            logging(log, "0")));
    List<Conch.Run> ds = daemons(c, 3);
    Conch.awaitLines(log, 8, 30_000);
    for (Conch.Run d : ds)
      assertEquals(0, d.stop(), "a daemon stops cleanly on SIGTERM: " + d.stderr());
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
    Collections.sort(ticks);
    for (int i = 1; i < ticks.size(); i++)
      assertEquals(
          ticks.get(i - 1) + 1000, ticks.get(i), "no tick skipped while daemons lived: " + ticks);
    Map<Long, Run> runs = runs(c, "tick");
    for (long t : ticks)
      assertEquals(Run.OK, runs.get(t).state(), "one ok result per tick: " + runs.get(t));
    Collections.sort(lateness);
    System.out.printf(
        "cron lateness over %d ticks, 3 daemons: p50 %d ms, max %d ms%n",
        lateness.size(), lateness.get(lateness.size() / 2), lateness.get(lateness.size() - 1));
  }

  @Test
  void killedWinnerLeavesAZombieThatIsNeverRerun() throws Exception {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "slow", args(List.of("--schedule", "@every 2s"), logging(log, "30")));
    List<Conch.Run> ds =
        daemons(
            c,
            3,
            "--ttl",
            "2s",
            "--kill-after",
            "500ms",
            "--grace",
            "1s"); // survivors run later ticks of 30 s
    String[] first = Conch.awaitLines(log, 1, 30_000).get(0).split(" ");
    String lease = first[4];
    long childPid = Long.parseLong(first[2]);
    Conch.Run winner = null;
    for (Conch.Run d : ds) {
      String json =
          Etcdctl.run(c.endpoint, "get", c.prefix + "/v1/daemons/" + lease, "--print-value-only")
              .out();
      if (json.contains("\"pid\":" + d.pid() + ",")) winner = d;
    }
    assertTrue(winner != null, "the winning daemon is one of ours");
    Procs.kill("KILL", winner.pid());
    assertTrue(Procs.awaitDeath(childPid, 5_000), "the dead daemon's run was killed with it");
    long tick = Instant.parse(first[0]).toEpochMilli();
    String ls = "";
    long end = System.nanoTime() + 15_000_000_000L;
    while (!ls.contains("\"state\":\"zombie\"")
        && System.nanoTime() < end) { // the dead daemon's lease must expire first
      Procs.nap(200);
      ls = c.run("cron", "ls", "slow", "--json").stdout();
    }
    assertTrue(
        ls.contains("\"tick\":\"" + first[0] + "\"") && ls.contains("\"state\":\"zombie\""),
        "the claim shows as zombie: " + ls);
    for (Conch.Run d : ds) if (d != winner) assertEquals(0, d.stop());
    assertEquals(
        1,
        Conch.lines(log).stream().filter(l -> l.startsWith(first[0] + " ")).count(),
        "never rerun: " + Conch.lines(log));
    assertEquals(Run.RUNNING, runs(c, "slow").get(tick).state(), "the claim stays, with no result");
  }

  @Test
  void rmDuringARunLetsItFinishAndKeepsItsResult() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(
        c,
        "once",
        args(List.of("--schedule", "@every 2s", "--overlap", "allow"), logging(log, "1.5")));
    List<Conch.Run> ds = daemons(c, 1);
    String[] first = Conch.awaitLines(log, 1, 30_000).get(0).split(" ");
    assertEquals(0, c.run("cron", "rm", "once").exit(0));
    long removedAt = System.currentTimeMillis();
    long tick = Instant.parse(first[0]).toEpochMilli();
    Run r = awaitResult(c, "once", tick);
    assertEquals(Run.OK, r.state(), "the run finished and its result was written: " + r);
    assertEquals(0, r.exitCode());
    Procs.nap(2_500); // a whole period more: no new tick may be claimed after the removal
    assertTrue(
        runs(c, "once").keySet().stream().allMatch(t -> t <= removedAt),
        "no claims after rm: " + runs(c, "once").keySet());
    assertEquals(1, c.run("cron", "ls", "once").exit(0), "the job is gone");
    assertEquals(1, c.run("cron", "rm", "once").exit(0), "removing it again finds nothing");
    for (Conch.Run d : ds) assertEquals(0, d.stop());
  }

  @Test
  void aRestartedDaemonDoesNotCatchUp() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "catch", args(List.of("--schedule", "@every 1s", "--keep", "100"), logging(log, "0")));
    List<Conch.Run> ds = daemons(c, 1);
    Conch.awaitLines(log, 1, 30_000);
    assertEquals(0, ds.get(0).stop());
    Procs.nap(3_000); // ticks pass with no daemon alive
    long restartedAt = System.currentTimeMillis();
    int before = Conch.lines(log).size();
    List<Conch.Run> again = daemons(c, 1);
    Conch.awaitLines(log, before + 2, 30_000);
    assertEquals(0, again.get(0).stop());
    List<String> after = Conch.lines(log).subList(before, Conch.lines(log).size());
    for (String l : after) {
      assertTrue(
          Instant.parse(l.split(" ")[0]).toEpochMilli() > restartedAt,
          "no tick from before the restart: " + l);
    }
  }

  @Test
  void overlapSkipNeverStartsARunWhileAnotherIsGoing() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "busy", args(List.of("--schedule", "@every 1s"), logging(log, "2.5")));
    List<Conch.Run> ds = daemons(c, 2);
    Conch.awaitLines(
        log, 3, 30_000); // two skipped ticks between runs: the newest record is a skip, not the run
    for (Conch.Run d : ds) assertEquals(0, d.stop());
    Map<Long, Run> runs = runs(c, "busy");
    assertTrue(
        runs.values().stream().anyMatch(r -> r.state().equals(Run.SKIPPED)),
        "ticks during a run are skipped: " + runs);
    List<Run> started =
        runs.values().stream()
            .filter(r -> r.started() != null && !r.state().equals(Run.SKIPPED))
            .toList();
    for (int i = 1; i < started.size(); i++) {
      Run before = started.get(i - 1);
      assertTrue(
          before.ended() != null
              && !Instant.parse(started.get(i).started()).isBefore(Instant.parse(before.ended())),
          "a run starts only after the previous one ended: " + runs);
    }
  }

  @Test
  void historyKeepsTheNewestRecordsAndEveryRunStillGoing() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    String marker = c.file("first-run").toString();
    add(
        c,
        "kept",
        "--schedule",
        "@every 1s",
        "--overlap",
        "allow",
        "--keep",
        "2",
        "--",
        "bash",
        "-c",
        "echo \"$CONCH_TICK\" >> '"
            + log
            + "'; if mkdir '"
            + marker
            + "' 2>/dev/null; then sleep 6; fi");
    List<Conch.Run> ds = daemons(c, 1);
    long first = Instant.parse(Conch.awaitLines(log, 1, 30_000).get(0)).toEpochMilli();
    Conch.awaitLines(
        log, 5, 30_000); // four more claims, each trimming the history down to two records
    assertEquals(
        Run.RUNNING,
        runs(c, "kept").get(first).state(),
        "the first run, still going, was not trimmed away");
    assertEquals(0, ds.get(0).stop()); // the grace period lets the first run finish
    Map<Long, Run> runs = runs(c, "kept");
    assertEquals(Run.OK, runs.get(first).state(), "the first run recorded its result: " + runs);
    assertEquals(
        3,
        runs.size(),
        "the newest two records, and the run that was still going at the last trim: "
            + runs.keySet());
  }

  @Test
  void timeoutKillsARunAndRecordsItFailed() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "hang", args(List.of("--schedule", "@every 5s", "--timeout", "1s"), logging(log, "60")));
    List<Conch.Run> ds = daemons(c, 1, "--kill-after", "500ms");
    long tick = Instant.parse(Conch.awaitLines(log, 1, 30_000).get(0).split(" ")[0]).toEpochMilli();
    Run r = awaitResult(c, "hang", tick);
    assertEquals(Run.FAILED, r.state(), r.toString());
    assertEquals(143, r.exitCode());
    assertEquals(Boolean.TRUE, r.timedOut());
    for (Conch.Run d : ds) assertEquals(0, d.stop());
  }

  @Test
  void lsShowsJobsRunsAndDaemonsAsJson() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(
        c,
        "shown",
        args(
            List.of("--schedule", "*/5 * * * *", "--tz", "Europe/Berlin", "--keep", "7"),
            logging(log, "0")));
    Conch.Run ls = c.run("cron", "ls", "--json");
    assertEquals(0, ls.exit(0), ls.stderr());
    Map<?, ?> o = Json.read(ls.stdout(), Map.class).orElseThrow();
    Map<?, ?> job = (Map<?, ?>) ((List<?>) o.get("jobs")).get(0);
    assertEquals("shown", job.get("job"));
    assertEquals("*/5 * * * *", job.get("schedule"));
    assertEquals("Europe/Berlin", job.get("tz"));
    assertEquals(7, job.get("keep"));
    assertTrue(
        Instant.parse((String) job.get("next")).isAfter(Instant.now()),
        "next tick in the future: " + job);
    assertEquals(
        0,
        Instant.parse((String) job.get("next")).getEpochSecond() % 300,
        "on a 5-minute boundary");
    assertTrue(((String) job.get("added_by")).contains("@"), "who added it is recorded: " + job);
    assertEquals(List.of(), o.get("daemons"));
    Conch.Run text = c.run("cron", "ls");
    assertTrue(
        text.stdout().startsWith("shown  */5 * * * * (Europe/Berlin)  next "), text.stdout());
    assertEquals(1, c.run("cron", "ls", "nosuch").exit(0));
  }

  @Test
  void badInputExitsSixtyFourWithTheReasonAndWritesNothing() {
    Conch c = new Conch(etcd.endpoint());
    String[][] bad = {
      {"cron", "add", "j", "--schedule", "61 * * * *", "--", "true"},
      {"cron", "add", "j", "--schedule", "* * * *", "--", "true"},
      {"cron", "add", "j", "--schedule", "@every 1500ms", "--", "true"},
      {"cron", "add", "j", "--schedule", "@hourly", "--tz", "Mars/Olympus", "--", "true"},
      {"cron", "add", "j", "--schedule", "@hourly", "--overlap", "sometimes", "--", "true"},
      {"cron", "add", "j", "--schedule", "@hourly", "--keep", "0", "--", "true"},
      {"cron", "add", "j", "--schedule", "@hourly"},
      {"cron", "add", "j/k", "--schedule", "@hourly", "--", "true"},
      {"cron", "add", "j", "--", "true"},
      {"cron", "rm", "../x"},
      {"daemon", "--max-lateness", "soon"},
    };
    for (String[] args : bad) {
      Conch.Run r = c.run(args);
      assertEquals(64, r.exit(0), String.join(" ", args) + ": " + r.stderr());
      assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    }
    assertTrue(c.run(bad[0]).stderr().contains("Value 61 not in range"), "the parser's reason");
    assertEquals(List.of(), c.keys());
  }
}
