package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Run;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Leader changes under running daemons, on a three-member cluster of the class's own: the leader
 * moved ({@code etcdctl move-leader}) and killed (SIGKILL) while a run is going and its result not
 * yet written. No tick may run twice, and none may go missing. Nothing here bounds a latency beyond
 * --max-lateness, so it runs beside other classes.
 */
class LeaderChangeIT {
  static EtcdServer etcd;

  @BeforeAll
  static void up() {
    etcd = EtcdServer.start(3, false);
    Conch.classpath();
  }

  @AfterAll
  static void down() {
    if (etcd != null) etcd.close();
  }

  @Test
  void leaderMovesAndALeaderKilledMidTickRunEveryTickOnce() {
    Conch c = new Conch(etcd.endpoint);
    Path log = c.file("log");
    Cron.add(
        c,
        "j",
        Args.array(
            List.of("--schedule", "@every 1s", "--overlap", "allow"), Cron.logging(log, "0.5")));
    List<Conch.Run> ds = Cron.daemons(c, 2, "--grace", "2s");
    long from = Cron.awaitUp(ds) + 1_000;
    long tick = from / 1_000 * 1_000 + 1_000;
    for (int i : new int[] {1, 2, 0}) { // each while a run is going, its result not yet written
      Cron.awaitTick(log, tick += 1_000, 10_000);
      etcd.lead(i);
    }
    Cron.awaitTick(log, tick += 1_000, 10_000);
    etcd.kill(0); // the leader, without a word to its followers
    Cron.awaitTick(log, tick += 2_000, 15_000);
    etcd.restart(0);
    Cron.awaitTick(log, tick += 2_000, 15_000);
    for (Conch.Run d : ds) assertEquals(0, d.stop(), d.stderr());
    List<Long> late = Cron.assertEveryTickOnce(c, "j", log, from, tick);
    System.out.printf(
        "leader moved thrice and killed once mid-tick: %d ticks ran once each, at most %d ms late%n",
        late.size(), late.stream().mapToLong(x -> x).max().orElseThrow());
  }

  @Test
  void aDaemonRunsTicksAgainWhenQuorumReturns() {
    Conch c = new Conch(etcd.endpoint);
    Path log = c.file("log");
    Cron.add(
        c,
        "tick",
        Args.array(
            List.of("--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"),
            Cron.logging(log, "0")));
    Conch.Run d = c.start("daemon", "--ttl", "2s", "--dial-timeout", "1s");
    Conch.awaitLines(log, 2, 30_000);
    etcd.stop(1);
    etcd.stop(2);
    Procs.nap(6_000); // past TTL + 2 election timeouts: the daemon has lost its lease
    int before = Conch.lines(log).size(); // without quorum no tick can be claimed
    etcd.restart(1, 2);
    long back = System.currentTimeMillis();
    List<String> lines = Conch.awaitLines(log, before + 3, 45_000);
    assertEquals(0, d.stop(), d.stderr());
    assertTrue(d.stderr().contains("lease lost"), "lost with quorum: " + d.stderr());
    List<Long> ticks =
        lines.stream().map(l -> Instant.parse(l.split(" ")[0]).toEpochMilli()).toList();
    assertEquals(ticks.size(), ticks.stream().distinct().count(), "no tick ran twice: " + lines);
    List<Long> again = ticks.subList(before, ticks.size());
    long recoveredMs = Long.parseLong(lines.get(before).split(" ")[1]) / 1_000_000 - back;
    System.out.printf("quorum back -> first tick run again: %d ms%n", recoveredMs);
    // the daemon registers again with backoff (capped at 30 s), then waits for the next tick
    assertTrue(
        recoveredMs <= 30_000 + 1_000 + 1_000 + 3_000, "ran again after " + recoveredMs + " ms");
    Map<Long, Run> runs = Cron.runs(c, "tick");
    for (int i = 0; i < again.size(); i++) {
      if (i > 0) assertEquals(again.get(i - 1) + 1_000, again.get(i), "no tick skipped: " + again);
      assertEquals(
          Run.OK, runs.get(again.get(i)).state(), "an ok record: " + runs.get(again.get(i)));
    }
  }
}
