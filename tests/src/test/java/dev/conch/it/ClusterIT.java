package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The seed's drills on a three-member cluster on loopback, automated: members stop under running
 * wrappers, and quorum is lost and regained under {@code elect --restart} and under a daemon. Each
 * test has a cluster of its own, since it stops members.
 */
@Isolated // runs alone: the quorum-loss kill is bounded by the lease and etcd's election timeouts
class ClusterIT {
  EtcdServer cluster;

  @BeforeEach
  void up() {
    cluster = EtcdServer.start(3, false);
    Conch.classpath();
  }

  @AfterEach
  void down() {
    cluster.close();
  }

  /**
   * jetcd balances round-robin over the members and a watch stream lives on one of them, so no
   * single member is "the one the wrapper talks to": each member is stopped in turn, longer than
   * the TTL, under a holder and a waiter, and restarted before the next.
   */
  @Test
  void eachMemberStoppedInTurnUnderRunningWrappersLosesNothing() {
    Conch c = new Conch(cluster.endpoint);
    Path log = c.file("log");
    Path waiterLog = c.file("waiter");
    Conch.Run holder = c.start(term("o", log));
    Conch.awaitLines(log, 1, 20_000);
    Conch.Run waiter = c.start(term("o", waiterLog));
    c.awaitKeysUnder("/", 2);
    List<String> keys = c.keys(); // each holds its lease in its name
    for (int i = 0; i < cluster.size(); i++) {
      cluster.stop(i);
      Procs.nap(5_000); // longer than the TTL: a wrapper that could not renew has given up by now
      String rest = cluster.endpointsBut(i);
      String what = "member " + i + " stopped: ";
      assertEquals(List.of("up"), Conch.lines(log), what + "the holder's child runs on");
      assertEquals(List.of(), Conch.lines(waiterLog), what + "no second holder");
      assertTrue(holder.process().isAlive(), what + holder.stderr());
      assertTrue(waiter.process().isAlive(), what + waiter.stderr());
      assertEquals(
          keys,
          Etcdctl.keys(rest, c.prefix + "/"),
          what + "both keys, on the same leases; " + holder.stderr() + waiter.stderr());
      cluster.restart(i);
    }
    assertEquals(143, holder.stop());
    assertEquals(List.of("up", "term"), Conch.lines(log));
    Conch.awaitLines(waiterLog, 1, 20_000); // the office passes on the release
    assertEquals(143, waiter.stop());
    assertEquals(List.of(), c.keys(), "released");
  }

  /** {@code elect NAME} over a child that logs "up" and, on SIGTERM, "term". */
  private static String[] term(String office, Path log) {
    return new String[] {
      "elect",
      office,
      // with 2s, on a loaded host, one wrapper's keepalives once went unanswered for the whole TTL
      // while a member was down (failing over, or a leader change), and it rightly let its lease go
      "--ttl",
      "4s",
      "--kill-after",
      "500ms",
      "--",
      "bash",
      "-c",
      "echo up >> '"
          + log
          + "'; trap 'echo term >> \""
          + log
          + "\"; exit 143' TERM; sleep 300 & wait"
    };
  }

  @Test
  void quorumLostKillsTheChildWithinTheLeaseAndRestartResumesWhenItReturns() {
    Conch c = new Conch(cluster.endpoint);
    Path log = c.file("log");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--restart",
            "--ttl",
            "2s",
            "--kill-after",
            "500ms",
            "--backoff-max",
            "1s",
            "--",
            "bash",
            "-c",
            "echo \"up $CONCH_REV\" >> '"
                + log
                + "'; trap 'echo \"term $(date +%s%N)\" >> "
                + log
                + "; exit 143' TERM; sleep 300 & wait");
    Conch.awaitLines(log, 1, 20_000);
    // The survivor follows and the leader is killed outright (stopped, it would hand over): no
    // member acknowledges a keepalive after the loss, so the child goes at the wrapper's deadline,
    // within the TTL.
    loseAndRegainQuorum(
        log,
        "survivor following",
        2_000 + 500,
        () -> {
          cluster.lead(1);
          cluster.stop(2);
          cluster.kill(1);
        });
    // The survivor leads. etcd renews a lease on the leader without a raft round, so a leader that
    // lost quorum keeps acknowledging keepalives until its quorum check makes it step down: up to
    // two election timeouts (1 s each by default). The wrapper acts on the last acknowledgement,
    // so the child goes up to TTL + 2 election timeouts after the loss; nobody else can be granted
    // the office meanwhile (granting needs quorum).
    loseAndRegainQuorum(
        log,
        "survivor leading",
        2_000 + 2 * 1_000 + 500,
        () -> {
          cluster.lead(0);
          cluster.stop(1);
          cluster.stop(2);
        });
    assertEquals(143, r.stop());
  }

  /**
   * Members 1 and 2 go as {@code lose} says, with member 0 left; the child of the {@code --restart}
   * wrapper logging to {@code log} must be stopped within {@code boundMs} of the loss (slack: the
   * watchdog's timer and the child's trap writing its line), and run again on a higher token once
   * quorum returns.
   */
  private void loseAndRegainQuorum(Path log, String how, long boundMs, Runnable lose) {
    List<String> l = Conch.lines(log);
    int n = l.size();
    long token = Long.parseLong(l.get(n - 1).split(" ")[1]);
    lose.run();
    long lostAt = System.currentTimeMillis() * 1_000_000; // once the second member has exited
    l = Conch.awaitLines(log, n + 1, 10_000);
    long killedMs = (Long.parseLong(l.get(n).split(" ")[1]) - lostAt) / 1_000_000;
    System.out.printf("quorum lost, %s -> child SIGTERM: %d ms (ttl 2s)%n", how, killedMs);
    assertTrue(killedMs <= boundMs, how + ": the child is stopped in " + killedMs + " ms");
    cluster.restart(1, 2);
    l = Conch.awaitLines(log, n + 2, 60_000);
    assertTrue(l.get(n + 1).startsWith("up "), l.toString());
    assertTrue(
        Long.parseLong(l.get(n + 1).split(" ")[1]) > token, "a new term, a higher token: " + l);
  }

  /**
   * A daemon whose lease went with quorum registers again when quorum returns, and the ticks run
   * again, each once.
   */
}
