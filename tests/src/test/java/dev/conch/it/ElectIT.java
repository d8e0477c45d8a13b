package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
 * conch elect end to end (contract sections 4-6): real etcd, real wrapper processes, real signals.
 */
@Isolated // runs alone: handover, kill and restart latencies are bounded
class ElectIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  @Test
  void winnerRunsChildWithFencingTokenAndEnvironment() {
    Conch c = new Conch(etcd.endpoint()).without("CONCH_ENDPOINTS");
    Path env = c.file("env");
    Conch.Run r =
        c.start(
            "elect",
            "office1",
            "--endpoints",
            etcd.endpoint(),
            "--",
            "bash",
            "-c",
            "echo \"$CONCH_TOOL $CONCH_NAME $CONCH_REV $CONCH_LEASE $CONCH_KEY\" > "
                + quote(env)
                + "; sleep 30");
    List<String> line = List.of(Conch.awaitLines(env, 1, 20_000).get(0).split(" "));
    String key = c.prefix + "/v1/elect/office1/" + line.get(3);
    assertEquals(key, line.get(4), "CONCH_KEY is the leader's own key");
    String json = Etcdctl.run(etcd.endpoint(), "get", key, "-w", "json").out();
    assertTrue(
        json.contains("\"create_revision\":" + line.get(2) + ","),
        "CONCH_REV is the key's create revision: " + json);
    assertEquals(List.of("elect", "office1"), line.subList(0, 2));
    Procs.kill("TERM", r.pid());
    assertEquals(143, r.exit(20_000), "the child's status: killed by the forwarded SIGTERM");
    assertEquals(List.of(), c.keys(), "released: key gone");
  }

  @Test
  void exitsWithTheChildStatusAndReleases() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run r = c.run("elect", "o", "--", "sh", "-c", "echo $CONCH_LEASE; exit 3");
    assertEquals(3, r.exit(0));
    assertEquals(128 + 9, c.run("elect", "o", "--", "sh", "-c", "kill -KILL $$").exit(0));
    assertEquals(List.of(), c.keys());
    String lease = r.stdout().strip();
    String leases = Etcdctl.run(etcd.endpoint(), "lease", "list").out();
    assertTrue(leases.startsWith("found "), leases);
    assertFalse(leases.lines().anyMatch(lease::equals), "lease " + lease + " revoked: " + leases);
  }

  @Test
  void childHasTheWrappersStdinAndStderrAndAProcessGroupOfItsOwn() throws Exception {
    Conch c = new Conch(etcd.endpoint());
    // field 5 of /proc/PID/stat is the process group
    Path ids = c.file("ids");
    Conch.Run group =
        c.start(
            "elect",
            "o",
            "--",
            "bash",
            "-c",
            "echo $$ $(cut -d' ' -f5 /proc/$$/stat) > " + quote(ids) + "; exec sleep 300");
    String[] pidPgid = Conch.awaitLines(ids, 1, 20_000).get(0).split(" ");
    String stat = java.nio.file.Files.readString(Path.of("/proc/" + group.pid() + "/stat"));
    String wrapperPgid = stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2];
    assertEquals(pidPgid[0], pidPgid[1], "the command leads a process group of its own");
    assertNotEquals(wrapperPgid, pidPgid[1], "not the wrapper's group");
    assertEquals(143, group.stop());
    Path in = c.file("in");
    java.nio.file.Files.writeString(in, "hi\n");
    Conch.Run cat = c.stdin(in).run("elect", "o", "--", "cat");
    assertEquals(0, cat.exit(0), cat.stderr());
    assertEquals("hi\n", cat.stdout());
    Conch.Run err = c.run("elect", "o", "--", "sh", "-c", "echo oops >&2");
    assertEquals(0, err.exit(0));
    assertEquals("oops\n", err.stderr());
    assertEquals(List.of(), c.keys());
  }

  @Test
  void leftoversOfACleanExitAreGoneBeforeTheNextHolderStarts() throws Exception {
    Conch c = new Conch(etcd.endpoint());
    Path left = c.file("left");
    Path go = c.file("go");
    Path seen = c.file("seen");
    Conch.Run a =
        c.start(
            "elect",
            "o",
            "--kill-after",
            "2s",
            "--",
            "bash",
            "-c",
            "sleep 300 & echo $! > "
                + quote(left)
                + "; until [ -e "
                + quote(go)
                + " ]; do sleep 0.05; done; exit 0");
    long leftover = Long.parseLong(Conch.awaitLines(left, 1, 20_000).get(0));
    // the next holder looks whether the leftover still runs when its command starts
    Conch.Run b =
        c.start(
            "elect",
            "o",
            "--",
            "bash",
            "-c",
            "s=$(cut -d' ' -f3 /proc/"
                + leftover
                + "/stat 2>/dev/null); [ -n \"$s\" ] && [ \"$s\" != Z ] && echo alive > "
                + quote(seen)
                + " || echo gone > "
                + quote(seen));
    c.awaitKeys(2);
    java.nio.file.Files.createFile(go);
    assertEquals(0, a.exit(20_000), a.stderr());
    assertFalse(Procs.alive(leftover), "the leftover is gone once conch exited");
    assertEquals(0, b.exit(20_000), b.stderr());
    assertEquals(List.of("gone"), Conch.lines(seen), "the next holder started after it was gone");
    assertEquals("", a.stderr(), "a clean exit says nothing");
  }

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
  void fleetOfFourRunsOneAtATimeInTokenOrder() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    String job =
        "echo \"$CONCH_REV $(date +%s%N)\" >> "
            + quote(log)
            + "; sleep 0.3; echo \"$CONCH_REV $(date +%s%N)\" >> "
            + quote(log);
    List<Conch.Run> runs = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) runs.add(c.start("elect", "o", "--", "bash", "-c", job));
    for (Conch.Run r : runs) assertEquals(0, r.exit(30_000), r.stderr());
    List<String> l = Conch.lines(log);
    assertEquals(8, l.size(), l.toString());
    long lastEnd = 0;
    long lastRev = 0;
    for (int i = 0; i < 8; i += 2) {
      String[] start = l.get(i).split(" ");
      String[] end = l.get(i + 1).split(" ");
      assertEquals(start[0], end[0], "each run's start and end are adjacent: no overlap " + l);
      assertTrue(Long.parseLong(start[1]) >= lastEnd, "starts after the previous run ended: " + l);
      assertTrue(Long.parseLong(start[0]) > lastRev, "tokens strictly increase: " + l);
      lastEnd = Long.parseLong(end[1]);
      lastRev = Long.parseLong(start[0]);
    }
    assertEquals(List.of(), c.keys());
  }

  @Test
  void whoOnVacantOfficeExitsOneAndPrintsNothing() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run r = c.run("elect", "vacant", "--who");
    assertEquals(1, r.exit(0));
    assertEquals("", r.stdout());
  }

  @Test
  void whoNamesTheLeaderInTextAndJson() {
    Conch c = new Conch(etcd.endpoint());
    Path env = c.file("env");
    Conch.Run holder =
        c.start("elect", "o", "--", "bash", "-c", "echo $CONCH_REV > " + quote(env) + "; sleep 30");
    String rev = Conch.awaitLines(env, 1, 20_000).get(0);
    Conch.Run who = c.run("elect", "o", "--who");
    assertEquals(0, who.exit(0));
    assertTrue(
        who.stdout().contains("pid " + holder.pid()) && who.stdout().contains("rev " + rev),
        who.stdout());
    Conch.Run json = c.run("elect", "o", "--who", "--json");
    assertEquals(0, json.exit(0));
    for (String field :
        List.of(
            "\"host\"",
            "\"pid\":" + holder.pid(),
            "\"user\"",
            "\"cmd\":[\"bash\"",
            "\"started\"",
            "\"ttl\":10",
            "\"lease\"",
            "\"version\"",
            "\"rev\":" + rev)) {
      assertTrue(json.stdout().contains(field), field + " in " + json.stdout());
    }
    holder.stop();
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
  void timeoutWithdrawsAndExitsSeventyFive() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run holder = c.holding("elect", "o");
    long t0 = System.nanoTime();
    Conch.Run r = c.run("elect", "o", "--timeout", "1500ms", "--", "true");
    long took = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(75, r.exit(0));
    assertTrue(took >= 1500, "not before the timeout: " + took + " ms");
    assertEquals(1, r.stderr().lines().count(), "one line: " + r.stderr());
    assertTrue(r.stderr().contains("not acquired within --timeout 1500ms"), r.stderr());
    assertEquals(1, c.keys().size(), "the waiter's key is gone: " + c.keys());
    holder.stop();
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
  void sighupWhileHoldingIsForwardedToTheCommand() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--",
            "bash",
            "-c",
            "trap 'echo got-HUP >> "
                + quote(log)
                + "; exit 7' HUP; echo up >> "
                + quote(log)
                + "; while :; do sleep 0.1; done");
    Conch.awaitLines(log, 1, 20_000);
    Procs.kill("HUP", r.pid());
    assertEquals(7, r.exit(10_000), "the command's own status after its HUP trap: " + r.stderr());
    assertEquals(List.of("up", "got-HUP"), Conch.lines(log));
    assertTrue(r.stderr().contains(" signalled signal=HUP "), r.stderr());
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
      assertFalse(Procs.alive(Long.parseLong(p[1])), "grandchild gone");
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
  void restartCampaignsAgainAfterLeaseLoss() {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--restart",
            "--kill-after",
            "500ms",
            "--",
            "bash",
            "-c",
            "echo \"$CONCH_REV $CONCH_LEASE\" >> " + quote(log) + "; sleep 300");
    String first = Conch.awaitLines(log, 1, 20_000).get(0);
    assertEquals(0, Etcdctl.run(etcd.endpoint(), "lease", "revoke", first.split(" ")[1]).code());
    String second = Conch.awaitLines(log, 2, 20_000).get(1);
    assertTrue(
        Long.parseLong(second.split(" ")[0]) > Long.parseLong(first.split(" ")[0]),
        "new term, higher token");
    Procs.kill("TERM", r.pid());
    assertEquals(143, r.exit(20_000));
    assertEquals(List.of(), c.keys());
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
  }

  @Test
  void badInputExitsSixtyFourAndWritesNothing() {
    Conch c = new Conch(etcd.endpoint());
    String[][] bad = {
      {"elect", "bad/name", "--", "true"},
      {"elect", "-dash", "--", "true"},
      {"elect", "o", "--ttl", "10", "--", "true"},
      {"elect", "o", "--ttl", "0s", "--", "true"},
      {"elect", "o", "--ttl", "2500001h", "--", "true"},
      {"elect", "o", "--kill-after", "soon", "--", "true"},
      {"elect", "o"},
      {"elect", "o", "--no-such-flag", "--", "true"},
      {"elect", "o", "--endpoints", "127.0.0.1", "--", "true"},
      {"elect", "o", "--prefix", "no-slash", "--", "true"},
      {"elect", "x".repeat(129), "--", "true"},
    };
    for (String[] args : bad) {
      Conch.Run r = c.run(args);
      assertEquals(64, r.exit(0), String.join(" ", args) + ": " + r.stderr());
      assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    }
    assertEquals(List.of(), c.keys(), "nothing written");
    assertEquals(List.of(), Etcdctl.keys(etcd.endpoint(), "no-slash"), "nothing written");
  }
}
