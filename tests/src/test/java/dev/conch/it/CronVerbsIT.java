package dev.conch.it;

import static dev.conch.it.support.Cron.add;
import static dev.conch.it.support.Cron.awaitRuns;
import static dev.conch.it.support.Cron.awaitUp;
import static dev.conch.it.support.Cron.daemons;
import static dev.conch.it.support.Cron.runs;
import static dev.conch.it.support.Cron.shownRuns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Run;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * {@code cron run} and {@code cron kill} (contract section 8b) through real daemons, requesters and
 * signals: at most once per request whatever dies, overlap honoured, kill within 1 s.
 */
@Execution(ExecutionMode.CONCURRENT) // each test has a prefix and daemons of its own
class CronVerbsIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /** A job that never ticks on its own in a test's time: only cron run starts it. */
  static final String RARE = "0 0 1 1 *";

  /**
   * A job whose command logs "TICK START-NANOS PID MANUAL" to {@code log}, then runs {@code rest}
   * (bash); on SIGTERM it logs "term NANOS" and exits 143, unless {@code hung}: then it goes on.
   */
  static String[] job(Path log, String rest, boolean hung) throws IOException {
    Path script = log.resolveSibling("job-" + log.getFileName() + ".sh");
    Files.writeString(
        script,
        "log=$1\n"
            // the clock read without a fork, so the trap's time is as early as bash runs it
            + "trap 'echo \"term ${EPOCHREALTIME//[!0-9]/}000\" >> \"$log\""
            + (hung ? "" : "; exit 143")
            + "' TERM\n"
            + "echo \"$CONCH_TICK $(date +%s%N) $$ ${CONCH_MANUAL:-0}\" >> \"$log\"\n"
            + rest
            + "\n");
    return new String[] {"--schedule", RARE, "--", "bash", script.toString(), log.toString()};
  }

  /** The runs the command logged (not its "term" lines). */
  static List<String> started(Path log) {
    return Conch.lines(log).stream().filter(l -> !l.startsWith("term ")).toList();
  }

  /** The one record of {@code job}, once it is no longer running. */
  static Run result(Conch c, String job) {
    return awaitRuns(
            c, job, r -> r.size() == 1 && !r.values().iterator().next().state().equals(Run.RUNNING))
        .values()
        .iterator()
        .next();
  }

  @Test
  void threeDaemonsOneRunExactlyOnceWithItsStatusManualAndWhoAsked() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "now", job(log, "sleep 0.5", false));
    List<Conch.Run> ds = daemons(c, 3, "--grace", "1s");
    awaitUp(ds);
    long askedMs = System.currentTimeMillis();
    Conch.Run r = c.run("cron", "run", "now", "--wait");
    assertEquals(0, r.exit(0), r.stderr());
    List<String> lines = Conch.lines(log);
    assertEquals(1, lines.size(), "exactly one execution: " + lines);
    String[] f = lines.get(0).split(" ");
    assertEquals("1", f[3], "CONCH_MANUAL=1");
    long tick = Instant.parse(f[0]).toEpochMilli();
    long start = Long.parseLong(f[1]) / 1_000_000;
    assertTrue(tick >= askedMs && start >= tick, "CONCH_TICK is the request's instant: " + f[0]);
    Run rec = runs(c, "now").get(tick);
    assertEquals(Run.OK, rec.state());
    assertEquals(Boolean.TRUE, rec.manual());
    assertTrue(rec.requestedBy().contains("@"), rec.requestedBy());
    Map<?, ?> shown = shownRuns(c, "now").get(0);
    assertEquals(true, shown.get("manual"));
    JsonIT.check("cron", JsonIT.JSON.readTree(c.run("cron", "ls", "--json").stdout()));
    System.out.printf(
        "cron run: request to command start %d ms (request key to start %d ms), %s%n",
        start - askedMs,
        start - tick,
        r.stderr().lines().filter(l -> l.contains("taken")).findFirst().orElse(""));
    // the job's --overlap skip holds: a run going makes a manual request a skip (exit 75)
    add(c, "now", job(log, "sleep 30", false));
    Conch.Run first = c.start("cron", "run", "now");
    assertEquals(0, first.exit(30_000), first.stderr());
    Conch.Run second = c.run("cron", "run", "now", "--wait");
    assertEquals(75, second.exit(0), second.stderr());
    assertTrue(second.stderr().contains("skipped"), second.stderr());
    for (Conch.Run d : ds) d.stop();
    List<String> two = started(log);
    assertEquals(2, two.size(), "the skipped request never ran: " + two);
    String[] warm = two.get(1).split(" ");
    System.out.printf(
        "cron run, daemons warm: request key to command start %d ms%n",
        Long.parseLong(warm[1]) / 1_000_000 - Instant.parse(warm[0]).toEpochMilli());
    assertEquals(1, c.run("cron", "run", "nosuch").exit(0), "unknown JOB: 1");
  }

  @Test
  void requesterKilledRightAfterItsRequestStillRunsOnce() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "orphan", job(log, "true", false));
    Conch.Run req = c.start("cron", "run", "orphan", "--wait"); // no daemon yet
    c.awaitKeysUnder("/v1/cron/requests/", 1);
    Procs.kill("KILL", req.pid());
    List<Conch.Run> ds = daemons(c, 2);
    assertEquals(Run.OK, result(c, "orphan").state());
    assertEquals(List.of(), c.keysUnder("/v1/cron/requests/"), "taken: the request is gone");
    for (Conch.Run d : ds) d.stop();
    assertEquals(1, started(log).size(), "at most once: " + Conch.lines(log));
  }

  @Test
  void claimingDaemonKilledMidRunLeavesAZombieNeverRerun() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    add(c, "slow", job(log, "sleep 30", false));
    List<Conch.Run> ds = daemons(c, 2, "--ttl", "2s", "--kill-after", "500ms", "--grace", "1s");
    awaitUp(ds);
    Conch.Run waiter = c.start("cron", "run", "slow", "--wait");
    String[] first = Conch.awaitLines(log, 1, 30_000).get(0).split(" ");
    Run claim = runs(c, "slow").values().iterator().next();
    Conch.Run winner = ds.stream().filter(d -> d.pid() == claim.pid()).findFirst().orElseThrow();
    Procs.kill("KILL", winner.pid());
    assertTrue(Procs.awaitDeath(Long.parseLong(first[2]), 5_000), "its run died with it");
    assertEquals(70, waiter.exit(20_000), "--wait: the daemon vanished: " + waiter.stderr());
    c.awaitKeyCount("/v1/daemons/", 1);
    assertEquals(Run.ZOMBIE, shownRuns(c, "slow").get(0).get("state"));
    ds.stream().filter(d -> d != winner).forEach(Conch.Run::stop);
    assertEquals(1, started(log).size(), "never rerun: " + Conch.lines(log));
    assertEquals(List.of(), c.keysUnder("/v1/cron/requests/"));
  }

  @Test
  void killOfAHungRunTermsItWithinASecondAndKillsItAfterKillAfter() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    // it ignores SIGTERM: SIGKILL ends it
    add(c, "hung", job(log, "while :; do sleep 0.2; done", true));
    int[] ports = {EtcdServer.freePort(), EtcdServer.freePort()};
    List<Conch.Run> ds = new ArrayList<>();
    for (int port : ports)
      ds.add(c.start("daemon", "--kill-after", "1s", "--metrics", "127.0.0.1:" + port));
    awaitUp(ds);
    Conch.Run req = c.run("cron", "run", "hung");
    assertEquals(0, req.exit(0), req.stderr());
    Conch.awaitLines(log, 1, 30_000);
    Conch.Run kill = c.run("cron", "kill", "hung");
    assertEquals(0, kill.exit(0), kill.stderr());
    Run rec = result(c, "hung");
    assertEquals(Run.FAILED, rec.state());
    assertEquals(Boolean.TRUE, rec.killed());
    assertEquals(137, rec.exitCode(), "SIGKILL after --kill-after");
    long requested =
        Instant.parse(kill.stderr().replaceAll("(?s).* requested at=(\\S+).*", "$1"))
            .toEpochMilli();
    long term =
        Long.parseLong(
                Conch.lines(log).stream()
                    .filter(l -> l.startsWith("term "))
                    .findFirst()
                    .orElseThrow()
                    .split(" ")[1])
            / 1_000_000;
    long ended = Instant.parse(rec.ended()).toEpochMilli();
    // when the daemon told the watchdog to send SIGTERM (its "signalled" line, just before): the
    // trap's time is no start for kill-after, since bash runs a trap only once its foreground
    // command ends, and a `sleep 0.2` forked as the group was signalled runs on (970 ms measured)
    long told =
        ds.stream()
            .flatMap(d -> d.stderr().lines())
            .filter(l -> l.contains(" signalled ") && l.contains("cron kill by"))
            .map(l -> Instant.parse(l.substring(0, l.indexOf(' '))).toEpochMilli())
            .findFirst()
            .orElseThrow();
    System.out.printf(
        "cron kill: request to SIGTERM %d ms, SIGTERM to end %d ms (--kill-after 1s)%n",
        term - requested, ended - told);
    // the contract's 1 s; the request time is logged just before the key is put, so it is early,
    // and the trap's time is late, if anything
    assertTrue(term - requested < 1000, "SIGTERM within 1 s: " + (term - requested) + " ms");
    assertTrue(ended - told >= 1000, "SIGKILL only after --kill-after: " + (ended - told) + " ms");
    assertEquals(1, c.run("cron", "kill", "hung").exit(0), "nothing going: 1");
    JsonIT.check("cron", JsonIT.JSON.readTree(c.run("cron", "ls", "--json").stdout()));
    assertEquals(List.of(), c.keysUnder("/v1/cron/kills/"), "the kill request went with its lease");
    List<Map<String, Double>> m = List.of(MetricsIT.scrape(ports[0]), MetricsIT.scrape(ports[1]));
    assertEquals(1, MetricsIT.sum(m, "conch_cron_manual_runs_total{job=\"hung\"}"), m.toString());
    assertEquals(1, MetricsIT.sum(m, "conch_cron_kills_total{job=\"hung\"}"), m.toString());
    for (Conch.Run d : ds) d.stop();
  }

  @Test
  void badInputExits64WithOneLineAndWritesNothing() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    add(c, "j", job(c.file("log"), "true", false));
    List<String> before = c.keys();
    List<List<String>> bad =
        List.of(
            List.of("run", "no/such"),
            List.of("pause", "bad name"),
            List.of("resume", ".x"),
            List.of("kill", "a*"),
            List.of("run", "j", "--timeout", "0s"),
            List.of("run", "j", "--timeout", "soon"),
            List.of("kill", "j", "--timeout", "-1s"),
            List.of("run", "j", "--wiat"),
            List.of("add", "k", "--schedule", "@hourly", "--retries", "11", "--", "true"),
            List.of("add", "k", "--schedule", "@hourly", "--output-tail", "70000", "--", "true"),
            List.of("add", "k", "--schedule", "@hourly", "--retry-delay", "junk", "--", "true"),
            List.of("output", "j", "--tick", "junk"),
            List.of("output", "bad name"),
            List.of("daemon", "--on-failure-timeout", "0s"),
            List.of("daemon", "--on-failure", " "));
    for (List<String> args : bad) {
      List<String> argv = new ArrayList<>(List.of("cron"));
      argv.addAll(args);
      Conch.Run r = c.run(argv.toArray(String[]::new));
      assertEquals(64, r.exit(0), args + ": " + r.stderr());
      assertEquals(1, r.stderr().lines().count(), args + ": one line: " + r.stderr());
    }
    assertEquals(before, c.keys(), "nothing written");
    Conch.Run unknown = c.run("cron", "output", "nosuch");
    assertEquals(1, unknown.exit(0), "cron output of an unknown job: " + unknown.stderr());
    assertEquals(1, unknown.stderr().lines().count(), unknown.stderr());
  }
}
