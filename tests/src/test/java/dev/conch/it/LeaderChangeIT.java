package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdServer;
import java.nio.file.Path;
import java.util.List;
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
}
