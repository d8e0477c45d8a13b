package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * conch elect's bounded latencies (contract sections 4-6): handover, withdrawal, forwarded signals,
 * kills on lease loss, restart pauses, the dial timeout. Real etcd, real wrapper processes, real
 * signals; the rest of elect is {@link ElectIT}.
 */
@Isolated // runs alone: handover, kill and restart latencies are bounded
class ElectLatencyIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  @Test
  void cleanExitHandsOverInUnderOneSecondWithIncreasingTokens() throws Exception {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Path go = c.file("go");
    // each run lasts until the test says go: A ends only once B is queued behind it
    String job =
        "echo \"start $(date +%s%N) $CONCH_REV\" >> "
            + quote(log)
            + "; until [ -e "
            + quote(go)
            + " ]; do sleep 0.05; done; echo \"end $(date +%s%N) $CONCH_REV\" >> "
            + quote(log);
    Conch.Run a = c.start("elect", "o", "--", "bash", "-c", job);
    Conch.awaitLines(log, 1, 20_000);
    Conch.Run b = c.start("elect", "o", "--", "bash", "-c", job);
    c.awaitKeys(2);
    assertEquals(1, Conch.lines(log).size(), "B queued while A still runs: " + Conch.lines(log));
    java.nio.file.Files.createFile(go);
    assertEquals(0, a.exit(20_000));
    assertEquals(0, b.exit(20_000));
    List<String> l = Conch.lines(log);
    assertEquals(4, l.size(), l.toString());
    assertTrue(
        l.get(0).startsWith("start") && l.get(1).startsWith("end") && l.get(2).startsWith("start"),
        "no overlap: " + l);
    long gapNanos = Long.parseLong(l.get(2).split(" ")[1]) - Long.parseLong(l.get(1).split(" ")[1]);
    assertTrue(gapNanos < 1_000_000_000L, "handover took " + gapNanos / 1_000_000 + " ms");
    assertTrue(
        Long.parseLong(l.get(2).split(" ")[2]) > Long.parseLong(l.get(0).split(" ")[2]),
        "fencing token increases: " + l);
    System.out.printf("handover gap: %d ms%n", gapNanos / 1_000_000);
  }

  @Test
  void nonblockExitsSeventyFiveFastAndLeavesNoKey() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run holder = c.holding("elect", "o");
    Path ran = c.file("ran");
    Conch.Run r =
        c.run(
            "elect",
            "o",
            "--nonblock",
            "-v",
            "--log-format",
            "json",
            "--",
            "touch",
            ran.toString());
    long took = Duration.between(r.logged("queued"), Instant.now()).toMillis();
    assertEquals(75, r.exit(0));
    assertTrue(took < 1_000, "from queueing to its exit, well under 1 s: " + took + " ms");
    assertFalse(ran.toFile().exists(), "the command never ran");
    assertTrue(r.stderr().contains("not acquired: held by another (--nonblock)"), r.stderr());
    assertEquals(
        1,
        r.stderr().lines().filter(l -> !l.contains("\"event\":\"queued\"")).count(),
        "one line besides -v's: " + r.stderr());
    assertEquals(1, c.keys().size(), "only the holder's key: " + c.keys());
    holder.stop();
    assertEquals(
        0,
        c.run("elect", "free", "--nonblock", "--", "true").exit(0),
        "a vacant office is taken at once");
  }

  @Test
  void signalWhileWaitingWithdrawsAndExits128PlusN() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run holder = c.holding("elect", "o");
    Path ran = c.file("ran");
    for (String[] sig : new String[][] {{"TERM", "143"}, {"INT", "130"}, {"HUP", "129"}}) {
      Conch.Run w = c.start("elect", "o", "--", "touch", ran.toString());
      c.awaitKeys(2);
      long t0 = System.nanoTime();
      Procs.kill(sig[0], w.pid());
      assertEquals(Integer.parseInt(sig[1]), w.exit(10_000), sig[0]);
      long took = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(took < 2_000, "withdrew and exited at once on " + sig[0] + ": " + took + " ms");
      assertEquals(1, c.keys().size(), "withdrew before exiting on " + sig[0]);
      assertEquals(1, w.stderr().lines().count(), "one line: " + w.stderr());
      assertTrue(w.stderr().contains(" signalled exit=" + sig[1] + " "), w.stderr());
      assertTrue(w.stderr().contains("SIG" + sig[0]), w.stderr());
    }
    assertFalse(ran.toFile().exists(), "no waiter ever started the command");
    holder.stop();
  }

  @Test
  void signalWhileHoldingIsForwardedThenKillAfter() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--kill-after",
            "1s",
            "--",
            "bash",
            "-c",
            "trap 'echo got-INT >> "
                + quote(log)
                + "' INT; echo up >> "
                + quote(log)
                + "; while :; do sleep 0.2; done");
    Conch.awaitLines(log, 1, 20_000);
    long t0 = System.nanoTime();
    Procs.kill("INT", r.pid());
    assertEquals(137, r.exit(10_000), "ignored SIGINT, so SIGKILL after kill-after");
    long took = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(took >= 900 && took < 5000, "KILL after about 1s: " + took + " ms");
    assertEquals("got-INT", Conch.lines(log).get(1));
    assertEquals(List.of(), c.keys());
  }

  @Test
  void leaseRevokedKillsTheGroupAndExitsSeventy() {
    Conch c = new Conch(etcd.endpoint());
    Path pids = c.file("pids");
    Path log = c.file("log");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--kill-after",
            "1s",
            "--",
            "bash",
            "-c",
            "trap 'echo term $(date +%s%N) >> "
                + quote(log)
                + "' TERM; sleep 300 & echo $$ $! > "
                + quote(pids)
                + "; while :; do sleep 0.1; done");
    String[] p = Conch.awaitLines(pids, 1, 20_000).get(0).split(" ");
    String lease = c.keys().get(0).substring(c.keys().get(0).lastIndexOf('/') + 1);
    long revokedAt = System.currentTimeMillis() * 1_000_000;
    assertEquals(0, Etcdctl.run(etcd.endpoint(), "lease", "revoke", lease).code());
    assertEquals(70, r.exit(15_000));
    assertTrue(r.stderr().contains("lease lost"), r.stderr());
    List<String> l = Conch.lines(log);
    assertEquals(1, l.size(), "the child saw SIGTERM first: " + l);
    long termNanos = Long.parseLong(l.get(0).split(" ")[1]) - revokedAt;
    System.out.printf("revoke -> SIGTERM: %d ms%n", termNanos / 1_000_000);
    assertTrue(
        termNanos < 1_000_000_000L,
        "SIGTERM within 1 s of the revoke: " + termNanos / 1_000_000 + " ms");
    assertFalse(Procs.alive(Long.parseLong(p[0])), "child gone");
    assertFalse(Procs.alive(Long.parseLong(p[1])), "grandchild gone");
  }

  @Test
  void stoppedWrapperHasItsChildKilledByTheDeadline() {
    Conch c = new Conch(etcd.endpoint());
    Path pids = c.file("pids");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--ttl",
            "2s",
            "--kill-after",
            "500ms",
            "--",
            "bash",
            "-c",
            "sleep 300 & echo $$ $! > " + quote(pids) + "; wait");
    String[] p = Conch.awaitLines(pids, 1, 20_000).get(0).split(" ");
    Procs.kill("STOP", r.pid());
    long t0 = System.nanoTime();
    try {
      assertTrue(
          Procs.awaitDeath(Long.parseLong(p[0]), 5_000),
          "child killed while its wrapper is frozen");
      long took = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf("SIGSTOP -> child dead: %d ms (ttl 2s)%n", took);
      assertTrue(took <= 2_000 + 500 + 1_000, "within TTL + kill-after: " + took + " ms");
      // the group got SIGTERM at once: bash may be reaped a moment before its sleep is (CI saw the
      // sleep alive just after bash was gone); the group's SIGKILL bounds it by kill-after
      assertTrue(
          Procs.awaitDeath(Long.parseLong(p[1]), 500 + 1_000), "grandchild gone within kill-after");
    } finally {
      Procs.kill("CONT", r.pid());
    }
    assertEquals(70, r.exit(15_000), "a thawed wrapper reports the loss");
    assertTrue(r.stderr().contains("lease lost"), r.stderr());
  }

  @Test
  void killedWrapperLeavesNoChild() {
    Conch c = new Conch(etcd.endpoint());
    Path pids = c.file("pids");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--kill-after",
            "500ms",
            "--",
            "bash",
            "-c",
            "trap '' TERM; sleep 300 & echo $$ $! > " + quote(pids) + "; wait");
    String[] p = Conch.awaitLines(pids, 1, 20_000).get(0).split(" ");
    Procs.kill("KILL", r.pid());
    assertTrue(Procs.awaitDeath(Long.parseLong(p[0]), 3_000), "child gone once its wrapper died");
    assertTrue(Procs.awaitDeath(Long.parseLong(p[1]), 3_000), "grandchild gone too");
  }

  @Test
  void restartBacksOffAndResetsAfterAStableRun() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    // runs 1 and 2 fail at once, run 3 is stable (longer than --stable-after), run 4 fails at once
    String job =
        "n=$(($(wc -l < "
            + quote(log)
            + " 2>/dev/null || echo 0) + 1)); echo $(date +%s%N) >> "
            + quote(log)
            + "; [ $n = 3 ] && sleep 1.3; exit 1";
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--restart",
            "--stable-after",
            "1s",
            "--backoff-max",
            "8s",
            "--",
            "bash",
            "-c",
            job);
    List<String> l = Conch.awaitLines(log, 4, 30_000);
    Procs.kill("TERM", r.pid());
    r.exit(20_000);
    assertPauses(
        "after a stable run",
        l,
        new double[] {0, 0, 1.3},
        new Pause(0.95, 1.8, "first backoff 1s"),
        new Pause(1.95, 2.8, "second backoff 2s"),
        new Pause(0.95, 1.8, "reset to 1s after a stable run, not 4s"));
  }

  @Test
  void restartKeepsTheTokenReachesTheBackoffCapAndSigtermInAPauseExits143() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--restart",
            "--backoff-max",
            "1200ms",
            "--",
            "bash",
            "-c",
            // a SIGTERM forwarded to a running command would end it with 3, not 143
            "trap 'exit 3' TERM; echo \"$(date +%s%N) $CONCH_REV\" >> " + quote(log) + "; exit 1");
    List<String> l = Conch.awaitLines(log, 4, 30_000);
    long end = System.nanoTime() + 20_000_000_000L;
    while (r.stderr().lines().filter(x -> x.contains(" restart ")).count() < 4) {
      assertTrue(System.nanoTime() < end, "a fourth pause: " + r.stderr());
      Procs.nap(20); // the wrapper writes its log to a file; nothing to watch but the file
    }
    Procs.kill("TERM", r.pid());
    assertEquals(143, r.exit(20_000), "a signal during the pause is conch's own: " + r.stderr());
    List<String> err = r.stderr().lines().toList();
    assertTrue(err.get(err.size() - 1).contains(" signalled exit=143 "), r.stderr());
    assertEquals(List.of(), c.keys(), "released");
    assertEquals(1, l.stream().map(x -> x.split(" ")[1]).distinct().count(), "one token: " + l);
    assertPauses(
        "with --backoff-max 1200ms",
        l,
        new double[] {0, 0, 0},
        new Pause(0.95, 1.8, "first backoff 1s"),
        new Pause(1.15, 1.9, "then capped at 1.2s, not 2s"),
        new Pause(1.15, 1.9, "still 1.2s, not 4s"));
  }

  /** A pause between two runs of a --restart wrapper: [min, max) seconds, and what it shows. */
  private record Pause(double min, double max, String shows) {}

  /**
   * The pauses between the runs of a --restart wrapper, each within its bounds: from the starts in
   * {@code log} (each line's first field, date +%s%N), less how long the earlier run itself lasted
   * ({@code ran}, seconds).
   */
  private static void assertPauses(String how, List<String> log, double[] ran, Pause... expected) {
    long[] t = log.stream().mapToLong(x -> Long.parseLong(x.split(" ")[0])).toArray();
    double[] g = new double[expected.length];
    for (int i = 0; i < g.length; i++) g[i] = (t[i + 1] - t[i]) / 1e9 - ran[i];
    System.out.printf("restart gaps %s: %.2f %.2f %.2f%n", how, g[0], g[1], g[2]);
    for (int i = 0; i < g.length; i++)
      assertTrue(
          g[i] >= expected[i].min() && g[i] < expected[i].max(), expected[i].shows() + ": " + g[i]);
  }

  @Test
  void unreachableEtcdExitsSixtyNineWithinTheDialTimeout() throws Exception {
    Conch c = new Conch(EtcdServer.deadEndpoint());
    long t0 = System.nanoTime();
    Conch.Run r = c.run("elect", "o", "--dial-timeout", "1s", "--", "true");
    long took = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(69, r.exit(0));
    assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    assertTrue(r.stderr().contains("unreachable"), r.stderr());
    assertTrue(took < 1_000 + 4_000, "dial timeout plus JVM start: " + took + " ms");
    assertEquals(69, c.run("elect", "o", "--who", "--dial-timeout", "1s").exit(0));
    // at or below jetcd's first retry delay (500 ms), the client itself must still be buildable
    Conch.Run shortDial = c.run("cron", "ls", "--dial-timeout", "500ms");
    assertEquals(69, shortDial.exit(0), shortDial.stderr());
  }
}
