package dev.conch.it;

import static dev.conch.it.support.Cron.add;
import static dev.conch.it.support.Cron.assertEveryTickOnce;
import static dev.conch.it.support.Cron.awaitResult;
import static dev.conch.it.support.Cron.awaitTick;
import static dev.conch.it.support.Cron.awaitUp;
import static dev.conch.it.support.Cron.daemons;
import static dev.conch.it.support.Cron.logging;
import static dev.conch.it.support.Cron.runs;
import static dev.conch.it.support.Cron.shownRuns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Json;
import dev.conch.cron.Run;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** conch cron and conchd end to end (contract section 8): real etcd, real daemon processes. */
@Execution(ExecutionMode.CONCURRENT)
// its tests run side by side: each has a prefix and daemons of its own, and most of each waits on
// ticks and leases, leaving the cores idle (measured alone: 0.4 of one core)
class CronIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /** A lines file's lines, each a tick, that appear more than once. */
  private static List<String> repeated(Path log) {
    List<String> lines = Conch.lines(log);
    return lines.stream().filter(l -> Collections.frequency(lines, l) > 1).distinct().toList();
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
        Args.array(
            List.of("--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"),
            logging(log, "0")));
    List<Conch.Run> ds = daemons(c, 3);
    // the window: from a second after all three are up to a second before the first SIGTERM
    long from = awaitUp(ds) + 1000;
    awaitTick(log, from + 6000, 30_000);
    long to = System.currentTimeMillis() - 1000;
    for (Conch.Run d : ds)
      assertEquals(0, d.stop(), "a daemon stops cleanly on SIGTERM: " + d.stderr());
    List<Long> lateness = assertEveryTickOnce(c, "tick", log, from, to);
    Collections.sort(lateness);
    System.out.printf(
        "cron lateness over %d ticks, 3 daemons: p50 %d ms, max %d ms%n",
        lateness.size(), lateness.get(lateness.size() / 2), lateness.get(lateness.size() - 1));
  }

  @Test
  void killedWinnerLeavesAZombieThatIsNeverRerun() throws Exception {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "slow", Args.array(List.of("--schedule", "@every 2s"), logging(log, "30")));
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
    c.awaitKeyCount("/v1/daemons/", ds.size() - 1); // the dead daemon's lease expired
    String state =
        shownRuns(c, "slow").stream()
            .filter(r -> first[0].equals(r.get("tick")))
            .map(r -> (String) r.get("state"))
            .findFirst()
            .orElse(null);
    assertEquals(
        Run.ZOMBIE, state, "the killed winner's claim of " + first[0] + " shows as zombie");
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
        Args.array(List.of("--schedule", "@every 2s", "--overlap", "allow"), logging(log, "8")));
    List<Conch.Run> ds = daemons(c, 1);
    String[] first = Conch.awaitLines(log, 1, 30_000).get(0).split(" ");
    assertEquals(0, c.run("cron", "rm", "once").exit(0));
    long removedAt = System.currentTimeMillis();
    long tick = Instant.parse(first[0]).toEpochMilli();
    assertEquals(
        Run.RUNNING, runs(c, "once").get(tick).state(), "the run still runs right after the rm");
    Run r = awaitResult(c, "once", tick);
    assertEquals(Run.OK, r.state(), "the run finished and its result was written: " + r);
    assertEquals(0, r.exitCode());
    assertTrue(
        Instant.parse(r.ended()).toEpochMilli() > removedAt,
        "it ended after the rm: " + r + ", rm at " + Instant.ofEpochMilli(removedAt));
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
    add(
        c,
        "catch",
        Args.array(List.of("--schedule", "@every 1s", "--keep", "100"), logging(log, "0")));
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
    add(c, "busy", Args.array(List.of("--schedule", "@every 1s"), logging(log, "2.5")));
    List<Conch.Run> ds = daemons(c, 2);
    Conch.awaitLines(
        log, 3, 30_000); // two skipped ticks between runs: the newest record is a skip, not the run
    for (Conch.Run d : ds) assertEquals(0, d.stop());
    Map<Long, Run> runs = runs(c, "busy");
    assertTrue(
        runs.values().stream().anyMatch(r -> r.state().equals(Run.SKIPPED)),
        "ticks during a run are skipped: " + runs);
    String ls = c.run("cron", "ls", "busy").stdout();
    assertTrue(ls.contains("  skipped "), "cron ls shows the skips: " + ls);
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
        "echo \"$CONCH_TICK\" >> '" + log + "'");
    List<Conch.Run> ds = daemons(c, 1);
    String daemonKey = Etcdctl.keys(c.endpoint, c.prefix + "/v1/daemons/").get(0);
    String live = daemonKey.substring(daemonKey.lastIndexOf('/') + 1);
    // records from an hour ago, older than any claim horizon: finished ones, a zombie (its daemon
    // is gone) and a run still going (its daemon lives), as another daemon would have left them
    long hourAgo = (System.currentTimeMillis() - 3_600_000) / 1000 * 1000;
    Map<Long, String> old = new TreeMap<>();
    old.put(hourAgo, Run.OK);
    old.put(hourAgo + 1000, Run.SKIPPED);
    old.put(hourAgo + 2000, "zombie");
    old.put(hourAgo + 3000, Run.RUNNING);
    old.forEach(
        (tick, state) -> {
          String at = Instant.ofEpochMilli(tick).toString();
          Run r =
              state.equals("zombie") || state.equals(Run.RUNNING)
                  ? new Run(
                      at,
                      Run.RUNNING,
                      "h",
                      1L,
                      state.equals("zombie") ? "dead" : live,
                      at,
                      null,
                      null,
                      null)
                  : new Run(at, state, "h", 1L, live, at, null, null, null);
          assertEquals(
              0,
              Etcdctl.run(
                      c.endpoint,
                      "put",
                      c.prefix + "/v1/cron/runs/kept/" + String.format("%013d", tick),
                      Json.write(r))
                  .code());
        });
    int before = Conch.lines(log).size();
    Conch.awaitLines(log, before + 3, 30_000); // claims since, each trimming the history
    Map<Long, Run> runs = runs(c, "kept");
    assertEquals(0, ds.get(0).stop());
    assertEquals(
        List.of(hourAgo + 3000),
        runs.keySet().stream().filter(t -> t < hourAgo + 10_000).toList(),
        "of the old records beyond --keep 2 only the run still going is left: " + runs);
    for (String tick : Conch.lines(log))
      assertTrue(
          runs.containsKey(Instant.parse(tick).toEpochMilli()),
          "a record newer than the claim horizon is kept whatever --keep says: "
              + tick
              + " in "
              + runs.keySet());
  }

  @Test
  void aLateDaemonNeverRerunsATickWhoseRecordWasTrimmed() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(
        c,
        "late",
        "--schedule",
        "@every 1s",
        "--overlap",
        "allow",
        "--keep",
        "1",
        "--",
        "bash",
        "-c",
        "echo \"$CONCH_TICK\" >> '" + log + "'");
    List<Conch.Run> ds = daemons(c, 2); // --ttl 10s by default: the stopped one stays registered
    awaitUp(ds);
    Conch.awaitLines(log, 2, 30_000);
    // stopped, it still has its next tick armed; the other daemon runs that tick and the next ones
    // and trims history to --keep 1 meanwhile; resumed, it fires them within --max-lateness 10s
    Procs.kill("STOP", ds.get(0).pid());
    Procs.nap(3_000);
    Procs.kill("CONT", ds.get(0).pid());
    int before = Conch.lines(log).size();
    Conch.awaitLines(log, before + 3, 30_000);
    for (Conch.Run d : ds) assertEquals(0, d.stop(), d.stderr());
    assertEquals(List.of(), repeated(log), "no tick ran twice: " + Conch.lines(log));
  }

  @Test
  void aTickNoticedLaterThanMaxLatenessIsRecordedMissedAndNotRun() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(
        c,
        "lag",
        Args.array(List.of("--schedule", "@every 1s", "--overlap", "allow"), logging(log, "0")));
    List<Conch.Run> ds = daemons(c, 1, "--max-lateness", "1s");
    Conch.awaitLines(log, 1, 30_000);
    Procs.kill("STOP", ds.get(0).pid()); // as a long GC pause would: its armed tick fires late
    Procs.nap(3_000);
    Procs.kill("CONT", ds.get(0).pid());
    long end = System.nanoTime() + 15_000_000_000L;
    while (runs(c, "lag").values().stream().noneMatch(r -> r.state().equals(Run.MISSED))) {
      assertTrue(System.nanoTime() < end, "a missed record: " + runs(c, "lag"));
      Procs.nap(100); // the daemon writes it into etcd
    }
    assertEquals(0, ds.get(0).stop()); // stopped now, the missed record stays among the newest
    Map<Long, Run> runs = runs(c, "lag");
    for (Map.Entry<Long, Run> e : runs.entrySet()) {
      Run r = e.getValue();
      if (r.state().equals(Run.MISSED)) continue;
      assertEquals(Run.OK, r.state(), "every other tick ran: " + runs);
      long late = Instant.parse(r.started()).toEpochMilli() - e.getKey();
      assertTrue(late >= 0 && late <= 1000, "a run starts within --max-lateness of its tick: " + r);
    }
    assertTrue(
        shownRuns(c, "lag").stream().anyMatch(r -> Run.MISSED.equals(r.get("state"))),
        "cron ls --json shows it");
    String ls = c.run("cron", "ls", "lag").stdout();
    assertTrue(ls.contains("  missed "), "cron ls shows it: " + ls);
  }

  @Test
  void sigtermStopsClaimingThenGraceThenKillsTheRunsGroups() {
    Conch c = new Conch(etcd.endpoint());
    Path stubborn = c.file("stubborn");
    Path timed = c.file("timed");
    // each ignores SIGTERM (and so does its grandchild): only SIGKILL ends them
    for (Path p : List.of(stubborn, timed)) {
      List<String> opts = new ArrayList<>(List.of("--schedule", "@every 1s", "--", "bash", "-c"));
      opts.add("trap '' TERM; sleep 60 & echo $$ $! > '" + p + "'; wait");
      if (p == timed) opts.addAll(0, List.of("--timeout", "2s"));
      add(c, p.getFileName().toString(), opts.toArray(String[]::new));
    }
    Conch.Run d = daemons(c, 1, "--grace", "4s", "--kill-after", "500ms").get(0);
    List<Long> pids = new ArrayList<>();
    for (Path p : List.of(stubborn, timed))
      for (String pid : Conch.awaitLines(p, 1, 30_000).get(0).split(" "))
        pids.add(Long.parseLong(pid));
    long termAt = System.currentTimeMillis();
    Procs.kill("TERM", d.pid());
    assertEquals(
        0, d.exit(4_000 + 500 + 10_000), "exit 0 after grace and kill-after: " + d.stderr());
    for (long pid : pids)
      assertTrue(!Procs.alive(pid), "every process of the runs is gone: " + pid);
    Map<Long, Run> kept = runs(c, "stubborn");
    Map<Long, Run> limited = runs(c, "timed");
    for (Map<Long, Run> runs : List.of(kept, limited))
      assertTrue(
          runs.keySet().stream().allMatch(t -> t <= termAt),
          "no tick claimed after SIGTERM: " + runs.keySet() + ", SIGTERM at " + termAt);
    Run stub = firstRun(kept);
    assertEquals(Run.FAILED, stub.state(), "killed after the grace: " + stub);
    assertEquals(137, stub.exitCode(), "SIGKILL, after SIGTERM was ignored: " + stub);
    assertTrue(
        Instant.parse(stub.ended()).toEpochMilli() >= termAt + 4_000,
        "it had the whole grace period: " + stub);
    Run lim = firstRun(limited);
    assertEquals(
        Boolean.TRUE, lim.timedOut(), "its --timeout still ran out during the grace: " + lim);
    assertEquals(137, lim.exitCode(), lim.toString());
  }

  /** The one run of a job that ran (the others were skipped: it was still going). */
  private static Run firstRun(Map<Long, Run> runs) {
    List<Run> ran = runs.values().stream().filter(r -> r.pid() != null).toList();
    assertEquals(1, ran.size(), "one run: " + runs);
    return ran.get(0);
  }

  @Test
  void timeoutKillsARunAndRecordsItFailed() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(
        c,
        "hang",
        Args.array(List.of("--schedule", "@every 5s", "--timeout", "1s"), logging(log, "60")));
    List<Conch.Run> ds = daemons(c, 1, "--kill-after", "500ms");
    long tick = Instant.parse(Conch.awaitLines(log, 1, 30_000).get(0).split(" ")[0]).toEpochMilli();
    Run r = awaitResult(c, "hang", tick);
    assertEquals(Run.FAILED, r.state(), r.toString());
    assertEquals(143, r.exitCode());
    assertEquals(Boolean.TRUE, r.timedOut());
    for (Conch.Run d : ds) assertEquals(0, d.stop());
  }

  @Test
  void aRunSeesItsEnvironmentAndATimeoutKillsItsWholeGroup() {
    Conch c = new Conch(etcd.endpoint());
    Path env = c.file("env");
    Path pids = c.file("pids");
    add(
        c,
        "envy",
        "--schedule",
        "@every 5s",
        "--timeout",
        "1s",
        "--",
        "bash",
        "-c",
        "env | grep ^CONCH_ > '" + env + "'; sleep 60 & echo $$ $! > '" + pids + "'; wait");
    List<Conch.Run> ds = daemons(c, 1, "--kill-after", "500ms");
    String[] p = Conch.awaitLines(pids, 1, 30_000).get(0).split(" ");
    Map<String, String> vars = new TreeMap<>();
    for (String l : Conch.lines(env))
      vars.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
    assertEquals("cron", vars.get("CONCH_TOOL"), vars.toString());
    assertEquals("envy", vars.get("CONCH_NAME"), vars.toString());
    assertEquals("envy", vars.get("CONCH_JOB"), vars.toString());
    long tick = Instant.parse(vars.get("CONCH_TICK")).toEpochMilli();
    assertEquals(0, tick % 5000, "CONCH_TICK is the scheduled tick: " + vars);
    String key = c.prefix + "/v1/cron/runs/envy/" + String.format("%013d", tick);
    Map<?, ?> got =
        Json.read(Etcdctl.run(c.endpoint, "get", key, "-w", "json").out(), Map.class).orElseThrow();
    Object created = ((Map<?, ?>) ((List<?>) got.get("kvs")).get(0)).get("create_revision");
    assertEquals(String.valueOf(created), vars.get("CONCH_REV"), "the claim's create revision");
    assertEquals(key, vars.get("CONCH_KEY"), "CONCH_KEY is the run's record key");
    String daemonKey = Etcdctl.keys(c.endpoint, c.prefix + "/v1/daemons/").get(0);
    assertEquals(daemonKey.substring(daemonKey.lastIndexOf('/') + 1), vars.get("CONCH_LEASE"));
    Run r = awaitResult(c, "envy", tick);
    assertEquals(Run.FAILED, r.state(), r.toString());
    assertEquals(Boolean.TRUE, r.timedOut(), r.toString());
    assertTrue(!Procs.alive(Long.parseLong(p[0])), "the run is gone");
    assertTrue(!Procs.alive(Long.parseLong(p[1])), "its grandchild died with its group");
    for (Conch.Run d : ds) assertEquals(0, d.stop());
  }

  @Test
  void lsShowsJobsRunsAndDaemonsAsJson() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(
        c,
        "shown",
        Args.array(
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
  void lsOfOneJobShowsAllItKeepsAndLsOfAllTheNewestFive() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(
        c,
        "many",
        Args.array(List.of("--schedule", "@every 1s", "--keep", "6"), logging(log, "0")));
    List<Conch.Run> ds = daemons(c, 1);
    Conch.awaitLines(log, 7, 60_000);
    ds.forEach(Conch.Run::stop);
    assertTrue(runs(c, "many").size() >= 7, "seven records, all within the claim horizon");
    assertEquals(6, shownRuns(c, "many").size(), "cron ls JOB: the job's --keep newest");
    Conch.Run all = c.run("cron", "ls", "--json");
    Map<?, ?> o = Json.read(all.stdout(), Map.class).orElseThrow();
    Map<?, ?> job = (Map<?, ?>) ((List<?>) o.get("jobs")).get(0);
    assertEquals(5, ((List<?>) job.get("runs")).size(), "cron ls: the newest five of each job");
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
    assertTrue(
        c.run(bad[3]).stderr().contains("Unknown time-zone ID: Mars/Olympus"),
        "the zone parser's reason");
    assertEquals(List.of(), c.keys());
  }
}
