package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * conch elect end to end (contract sections 4-6): real etcd, real wrapper processes, real signals.
 * What bounds a latency is in {@link ElectLatencyIT}, which runs alone; these run beside other
 * classes.
 */
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
  void aKilledWaiterTakesItsParkedWatchdogAlongAndItsCommandNeverRuns() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run holder = c.holding("elect", "o");
    Path ran = c.file("ran");
    Conch.Run w = c.start("elect", "o", "--", "touch", ran.toString());
    c.awaitKeys(2);
    // parked just after queueing; nothing announces it, so look until it is there
    long end = System.nanoTime() + 20_000_000_000L;
    List<ProcessHandle> parked = List.of();
    while (parked.isEmpty() && System.nanoTime() < end) {
      Procs.nap(50);
      parked = ProcessHandle.of(w.pid()).orElseThrow().children().toList();
    }
    assertEquals(1, parked.size(), "the waiter parked one watchdog ahead of its turn");
    assertTrue(
        parked.get(0).info().commandLine().orElse("").contains("dead man's switch"),
        "it is the watchdog: " + parked.get(0).info().commandLine());
    Procs.kill("KILL", w.pid());
    assertTrue(Procs.awaitDeath(parked.get(0).pid(), 5_000), "the watchdog went with its wrapper");
    holder.stop();
    assertFalse(ran.toFile().exists(), "the killed waiter's command never ran");
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
