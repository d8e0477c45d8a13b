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
import java.nio.charset.StandardCharsets;
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
 * What a cron run leaves behind (contract section 8b): the tail of each attempt's output in its
 * record, retries on the claiming daemon, and the daemon's --on-failure hook; through real daemons,
 * commands and etcd.
 */
@Execution(ExecutionMode.CONCURRENT) // each test has a prefix and daemons of its own
class CronOutputIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /** The one finished record of {@code job}. */
  static Run result(Conch c, String job) {
    return CronVerbsIT.result(c, job);
  }

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
      Run rec = result(c, "fails");
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
      Run killed = result(c, "slow");
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
  void aCommandWriting100MBLeavesTheDaemonBoundedAndTheTailExact() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    long bytes = 100_000_000;
    String flood = "head -c " + bytes + " /dev/zero | tr '\\0' x; printf 'THE END\\n'";
    add(c, "flood", "--schedule", CronVerbsIT.RARE, "--", "bash", "-c", flood);
    Conch.Run d = c.start("daemon");
    awaitUp(List.of(d));
    long[] before = usage(d.pid());
    long t0 = System.nanoTime();
    Conch.Run wait = c.run("cron", "run", "flood", "--wait");
    assertEquals(0, wait.exit(0), wait.stderr());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    long[] after = usage(d.pid());
    Run rec = result(c, "flood");
    Attempt a = rec.lastAttempt();
    assertEquals(bytes + 8, a.outputBytes(), "every byte counted");
    assertEquals("x".repeat(4096 - 8) + "THE END\n", a.output(), "the last 4096 bytes");
    long base = System.nanoTime();
    Procs.Result alone = Procs.run(List.of("bash", "-c", flood + " >/dev/null 2>&1"), Map.of());
    assertEquals(0, alone.code());
    long aloneMs = (System.nanoTime() - base) / 1_000_000;
    long cpuMs = (after[0] - before[0]) * 10; // clock ticks of 10 ms
    System.out.printf(
        "100 MB of output: run + request %d ms (the command alone, to /dev/null: %d ms); daemon CPU"
            + " %d ms (%.0f MB/s of its CPU), RSS %d -> %d KiB, peak %d KiB%n",
        ms, aloneMs, cpuMs, bytes / 1e3 / Math.max(cpuMs, 1), before[1], after[1], after[2]);
    // the ring and one buffer per stream: no growth with the output; 64 MiB is the heap's noise
    assertTrue(after[2] - before[1] < 64 * 1024, "RSS bounded: " + before[1] + " -> " + after[2]);
    d.stop();
    Files.deleteIfExists(d.out()); // the daemon's stdout: 100 MB
  }

  @Test
  void aDaemonFrozenWhileItsCommandWritesLosesNoByte() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    // 5 x 588,895 bytes, written over a second and more: the pipe's 64 KiB fills while frozen
    String cmd = "for i in 1 2 3 4 5; do seq 1 100000; sleep 0.3; done; echo done";
    add(c, "frozen", "--schedule", CronVerbsIT.RARE, "--", "bash", "-c", cmd);
    Conch.Run d = c.start("daemon", "--ttl", "10s");
    awaitUp(List.of(d));
    assertEquals(0, c.run("cron", "run", "frozen").exit(0));
    c.awaitKeysUnder("/v1/cron/runs/frozen/", 1);
    Procs.kill("STOP", d.pid()); // within the 10 s lease: the command must live on, and wait
    long frozen = System.nanoTime();
    Procs.nap(2000); // the freeze itself: what is measured is what it did to the output
    Procs.kill("CONT", d.pid());
    long frozeMs = (System.nanoTime() - frozen) / 1_000_000;
    Run rec = result(c, "frozen");
    assertEquals(Run.OK, rec.state(), rec.toString());
    long expected = 5 * 588_895L + 5;
    assertEquals(expected, rec.lastAttempt().outputBytes(), "every byte read");
    assertTrue(rec.lastAttempt().output().endsWith("99999\n100000\ndone\n"));
    d.stop();
    assertEquals(expected, Files.size(d.out()), "every byte reached the daemon's stdout");
    System.out.printf(
        "daemon frozen %d ms while its command wrote: the run took %d ms, %d bytes all passed on%n",
        frozeMs,
        Duration.between(Instant.parse(rec.started()), Instant.parse(rec.ended())).toMillis(),
        expected);
  }

  /** A process's CPU (user + system, clock ticks), RSS and peak RSS (KiB), from /proc. */
  static long[] usage(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long cpu = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    long rss = 0, hwm = 0;
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("VmRSS:")) rss = Long.parseLong(l.replaceAll("\\D", ""));
      if (l.startsWith("VmHWM:")) hwm = Long.parseLong(l.replaceAll("\\D", ""));
    }
    return new long[] {cpu, rss, hwm};
  }

  @Test
  void elevenAttemptsOfTheWidestTailStillFitEtcdsRequestLimit() {
    Conch c = new Conch(etcd.endpoint());
    add(
        c,
        "noise",
        "--schedule",
        CronVerbsIT.RARE,
        "--output-tail",
        "65536",
        "--retries",
        "10",
        "--retry-delay",
        "0s",
        "--",
        "bash",
        "-c",
        "head -c 70000 /dev/urandom; exit 1");
    Conch.Run d = c.start("daemon");
    awaitUp(List.of(d));
    Conch.Run wait = c.run("cron", "run", "noise", "--wait");
    assertEquals(1, wait.exit(0), wait.stderr());
    assertFalse(wait.stdout().chars().anyMatch(ch -> ch < 0x20 && ch != '\n' && ch != '\t'));
    Run rec = result(c, "noise");
    assertEquals(11, rec.attempts().size());
    rec.attempts().forEach(a -> assertEquals(70000L, a.outputBytes()));
    String key = c.keysUnder("/v1/cron/runs/noise/").get(0);
    int size =
        Etcdctl.run(c.endpoint, "get", "--print-value-only", key)
            .out()
            .getBytes(StandardCharsets.UTF_8)
            .length;
    System.out.printf("the largest record: %d bytes (11 attempts of a 64 KiB random tail)%n", size);
    assertTrue(size < 1024 * 1024, "under etcd's 1.5 MiB request limit: " + size);
    d.stop();
  }
}
