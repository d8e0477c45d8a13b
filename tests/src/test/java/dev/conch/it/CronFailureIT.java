package dev.conch.it;

import static dev.conch.it.support.Cron.add;
import static dev.conch.it.support.Cron.awaitRuns;
import static dev.conch.it.support.Cron.awaitUp;
import static dev.conch.it.support.Cron.runs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Attempt;
import dev.conch.cron.Run;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * When a cron run fails (contract section 8b): retries on the claiming daemon, the stored output of
 * a failed run as users read it, and the daemon's --on-failure hook; through real daemons, commands
 * and etcd. The output tail's own limits: {@link CronOutputIT}.
 */
@Execution(ExecutionMode.CONCURRENT) // each test has a prefix and daemons of its own
class CronFailureIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /** A job script that is {@code body} (bash). */
  static String script(Conch c, String name, String body) throws IOException {
    Path p = c.file(name + ".sh");
    Files.writeString(p, body);
    return p.toString();
  }

  @Test
  void aFlakyJobSucceedsOnItsThirdAttemptAndIsGoingBetweenAttempts() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    String job =
        script(
            c,
            "flaky",
            "echo \"$CONCH_ATTEMPT $(date +%s%N)\" >> '"
                + log
                + "'\n"
                + "echo \"try $CONCH_ATTEMPT\"\n"
                + "[ \"$CONCH_ATTEMPT\" = 3 ]\n");
    add(
        c,
        "flaky",
        "--schedule",
        CronVerbsIT.RARE,
        "--retries",
        "2",
        "--retry-delay",
        "2s",
        "--",
        "bash",
        job);
    int port = EtcdServer.freePort();
    Path hooks = c.file("hooks");
    Conch.Run d =
        c.start(
            "daemon",
            "--metrics",
            "127.0.0.1:" + port,
            "--on-failure",
            "echo x >> '" + hooks + "'");
    awaitUp(List.of(d));
    Conch.Run wait = c.start("cron", "run", "flaky", "--wait");
    Conch.awaitLines(log, 1, 30_000); // the first attempt's last line: now it waits 2 s
    // between attempts the run is still going: --overlap skip skips a request (put by etcdctl, as
    // cron run does: a JVM's start-up might outlast the delay on a loaded machine)
    long asked = System.currentTimeMillis();
    Etcdctl.run(
        c.endpoint,
        "put",
        c.prefix + "/v1/cron/requests/flaky/" + asked,
        "{\"requested_by\":\"test\",\"requested\":\"" + Instant.now() + "\"}");
    assertEquals(
        Run.SKIPPED,
        awaitRuns(c, "flaky", r -> r.containsKey(asked)).get(asked).state(),
        "a request between attempts");
    assertEquals(0, wait.exit(30_000), wait.stderr());
    assertTrue(wait.stdout().contains("try 3"), "--wait prints the tail: " + wait.stdout());
    Run rec =
        runs(c, "flaky").values().stream().filter(r -> r.attempts() != null).findFirst().get();
    assertEquals(Run.OK, rec.state());
    assertEquals(List.of(1, 1, 0), rec.attempts().stream().map(Attempt::exitCode).toList());
    List<String> starts = Conch.lines(log);
    assertEquals(3, starts.size(), "three attempts, one at a time: " + starts);
    for (int i = 1; i < 3; i++) {
      Attempt prev = rec.attempts().get(i - 1);
      Attempt next = rec.attempts().get(i);
      long gap =
          Duration.between(Instant.parse(prev.ended()), Instant.parse(next.started())).toMillis();
      assertTrue(gap >= 2000, "after --retry-delay 2s: " + gap + " ms");
      assertEquals("try " + (i + 1) + "\n", next.output());
      System.out.printf(
          "retry %d: %d ms after the failed attempt's end (--retry-delay 2s)%n", i, gap);
    }
    Map<String, Double> m = MetricsIT.scrape(port);
    assertEquals(2, MetricsIT.value(m, "conch_cron_retries_total{job=\"flaky\"}"), m.toString());
    assertFalse(Files.exists(hooks), "no hook for an ok run");
    JsonIT.check("cron", JsonIT.JSON.readTree(c.run("cron", "ls", "--json").stdout()));
    d.stop();
  }

  @Test
  void aFailedRunsOutputIsStoredEscapedAndItsHookRunsOnceButNotForAKill() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path escaped = c.file("escaped.pid");
    String job =
        script(
            c,
            "fails",
            "echo out\n"
                + "printf 'err \\033[31mred\\a\\n' >&2\n"
                + "printf '\\377\\376 bin\\n'\n"
                // a grandchild that leaves the group with our stdout: the record must not wait
                + "setsid sh -c 'echo $$ > "
                + escaped
                + "; exec sleep 30' &\n"
                + "exit 3\n");
    add(c, "fails", "--schedule", CronVerbsIT.RARE, "--", "bash", job);
    add(c, "slow", "--schedule", CronVerbsIT.RARE, "--retries", "2", "--", "sleep", "30");
    Path hooks = c.file("hooks");
    int port = EtcdServer.freePort();
    Conch.Run d =
        c.start(
            "daemon",
            "--metrics",
            "127.0.0.1:" + port,
            "--on-failure",
            "echo \"$CONCH_JOB $CONCH_STATE $CONCH_EXIT $CONCH_REV $CONCH_TICK $(grep -c . \"$CONCH_OUTPUT\")\" >> '"
                + hooks
                + "'");
    awaitUp(List.of(d));
    try {
      Conch.Run wait = c.run("cron", "run", "fails", "--wait");
      assertEquals(3, wait.exit(0), wait.stderr());
      Run rec = CronVerbsIT.result(c, "fails");
      long took =
          Duration.between(Instant.parse(rec.started()), Instant.parse(rec.ended())).toMillis();
      System.out.printf("a run whose grandchild holds its stdout: recorded after %d ms%n", took);
      // the drain's 1 s, plus 2 s of scheduling on a loaded machine; the grandchild sleeps 30 s
      assertTrue(took < 3_000, "the record does not wait for the grandchild: " + took + " ms");
      String stored = rec.lastAttempt().output();
      assertTrue(stored.contains("out\n"), stored);
      assertTrue(stored.contains("err \u001b[31mred\u0007\n"), "stored as written: " + stored);
      assertTrue(stored.contains("\uFFFD\uFFFD bin"), "invalid UTF-8 replaced: " + stored);
      for (String shown : List.of(wait.stdout(), c.run("cron", "output", "fails").stdout())) {
        assertTrue(shown.contains("err \\u001b[31mred\\u0007\n"), "escaped: " + shown);
        assertFalse(shown.contains("\u001b") || shown.contains("\u0007"), "never raw: " + shown);
      }
      Conch.Run byTick = c.run("cron", "output", "fails", "--tick", rec.tick());
      assertEquals(0, byTick.exit(0), byTick.stderr());
      assertTrue(byTick.stdout().contains("out\n"), byTick.stdout());
      assertEquals(1, c.run("cron", "output", "fails", "--tick", "1").exit(0), "no such run: 1");
      String ls = c.run("cron", "ls", "fails").stdout();
      // the first line: stdout's or stderr's, in the order the daemon read its two pipes
      assertTrue(
          ls.contains("failed  exit 3")
              && ls.matches("(?s).*output: (out|err \\\\u001b\\[31mred\\\\u0007)\n.*"),
          ls);
      List<String> heard = Conch.awaitLines(hooks, 1, 10_000);
      assertTrue(heard.get(0).startsWith("fails failed 3 "), heard.toString());
      assertTrue(heard.get(0).endsWith(rec.tick() + " 3"), "the tail's 3 lines: " + heard);
      // a killed run: never retried, no hook
      assertEquals(0, c.run("cron", "run", "slow").exit(0));
      c.awaitKeysUnder("/v1/cron/runs/slow/", 1);
      Conch.Run kill = c.run("cron", "kill", "slow");
      assertEquals(0, kill.exit(0), kill.stderr());
      Run killed = CronVerbsIT.result(c, "slow");
      assertEquals(Boolean.TRUE, killed.killed());
      assertEquals(1, killed.attempts().size(), "a killed run is never retried");
      Map<String, Double> m = MetricsIT.scrape(port);
      assertEquals(1, MetricsIT.value(m, "conch_cron_hook_runs_total{job=\"fails\"}"));
      assertEquals(0, MetricsIT.value(m, "conch_cron_retries_total{job=\"slow\"}"));
      assertEquals(
          1, Conch.lines(hooks).size(), "once, and not for the kill: " + Conch.lines(hooks));
    } finally {
      d.stop();
      List<String> pid = Conch.lines(escaped);
      if (!pid.isEmpty()) Procs.kill("KILL", Long.parseLong(pid.get(0)));
    }
  }

  @Test
  void aHungHookIsStoppedAtItsTimeoutLoggedAndNeverRetried() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    add(c, "bad", "--schedule", CronVerbsIT.RARE, "--", "false");
    Path started = c.file("hook-started");
    int port = EtcdServer.freePort();
    Conch.Run d =
        c.start(
            "daemon",
            "--metrics",
            "127.0.0.1:" + port,
            "--kill-after",
            "500ms",
            "--on-failure-timeout",
            "1s",
            "--on-failure",
            "date +%s%N >> '" + started + "'; trap '' TERM; sleep 30");
    awaitUp(List.of(d));
    assertEquals(1, c.run("cron", "run", "bad", "--wait").exit(0));
    long start = Long.parseLong(Conch.awaitLines(started, 1, 10_000).get(0)) / 1_000_000;
    long end = System.currentTimeMillis() + 20_000;
    while (!d.stderr().contains("hook-failed") && System.currentTimeMillis() < end)
      Procs.nap(100); // the daemon says so on its stderr
    String line = d.stderr().lines().filter(l -> l.contains("hook-failed")).findFirst().get();
    long logged = Instant.parse(line.split(" ")[0]).toEpochMilli();
    System.out.printf(
        "a hook ignoring SIGTERM, --on-failure-timeout 1s, --kill-after 500ms: ended and logged"
            + " within %d ms of its start: %s%n",
        logged - start, line);
    // 1 s + 0.5 s, plus 2 s of scheduling on a loaded machine
    assertTrue(logged - start < 3_600, "bounded: " + (logged - start) + " ms");
    assertTrue(line.contains("--on-failure-timeout 1s"), line);
    Map<String, Double> m = MetricsIT.scrape(port);
    assertEquals(1, MetricsIT.value(m, "conch_cron_hook_failures_total{job=\"bad\"}"));
    d.stop();
    assertEquals(1, Conch.lines(started).size(), "never retried");
  }
}
