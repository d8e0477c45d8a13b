package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The seed's drills on a three-member cluster on loopback, automated: a member stops under a
 * running wrapper, and quorum is lost and regained under {@code elect --restart}. Each test has a
 * cluster of its own, since it stops members.
 */
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

  @Test
  void aStoppedMemberUnderARunningWrapperLosesNothing() {
    Conch c = new Conch(cluster.endpoint);
    Path log = c.file("log");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--ttl",
            "2s",
            "--",
            "bash",
            "-c",
            "echo up >> '" + log + "'; sleep 5; echo done >> '" + log + "'");
    Conch.awaitLines(log, 1, 20_000);
    cluster.stop(0); // the first endpoint, where the client connected first
    assertEquals(
        0,
        r.exit(20_000),
        "kept the lease through the member's loss (longer than the TTL): " + r.stderr());
    assertEquals(List.of("up", "done"), Conch.lines(log));
    assertEquals(
        List.of(),
        Etcdctl.keys(cluster.member(1) + "," + cluster.member(2), c.prefix + "/"),
        "released on the remaining quorum");
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
    long first = Long.parseLong(Conch.awaitLines(log, 1, 20_000).get(0).split(" ")[1]);
    cluster.stop(1);
    cluster.stop(2);
    long lostAt =
        System.currentTimeMillis() * 1_000_000; // quorum is gone once the second member has exited
    List<String> l = Conch.awaitLines(log, 2, 10_000);
    long killedMs = (Long.parseLong(l.get(1).split(" ")[1]) - lostAt) / 1_000_000;
    System.out.printf("quorum lost -> child SIGTERM: %d ms (ttl 2s)%n", killedMs);
    // The child is stopped at the wrapper's deadline: TTL after the send of the last keepalive etcd
    // acknowledged. A leader that lost quorum keeps acknowledging until its quorum check makes it
    // step
    // down, up to two election timeouts (1 s each by default) later; nobody else can be granted the
    // office meanwhile, since granting needs quorum. Hence TTL + 2 election timeouts, plus slack.
    assertTrue(
        killedMs <= 2_000 + 2_000 + 500,
        "the child is stopped within the lease: " + killedMs + " ms");
    cluster.restart(1, 2);
    l = Conch.awaitLines(log, 3, 60_000);
    assertTrue(l.get(2).startsWith("up "), l.toString());
    assertTrue(
        Long.parseLong(l.get(2).split(" ")[1]) > first, "a new term with a higher token: " + l);
    assertEquals(143, r.stop());
  }
}
