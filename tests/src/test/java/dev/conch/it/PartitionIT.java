package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * etcd is silent at start-up, or goes silent while a wrapper holds (SIGSTOP of etcd: connections
 * stay open, nothing answers, as in a partition). The wrapper acts on its own deadline: the child
 * is killed within the lease. Each test has an etcd of its own, since freezing it stops everybody.
 */
@Isolated // runs alone: exits within the dial timeout and the lease are bounded
class PartitionIT {
  EtcdServer etcd;

  @BeforeEach
  void up() {
    etcd = EtcdServer.start();
    Conch.classpath();
  }

  @AfterEach
  void down() {
    etcd.thaw();
    etcd.close();
  }

  @Test
  void silentEtcdWhileHoldingKillsTheChildWithinTheLease() {
    Conch c = new Conch(etcd.endpoint);
    Path log = c.file("log");
    Conch.Run r =
        c.start(
            "elect",
            "o",
            "--ttl",
            "3s",
            "--kill-after",
            "500ms",
            "--",
            "bash",
            "-c",
            "trap 'echo term $(date +%s%N) >> "
                + quote(log)
                + "; exit 143' TERM; echo up $(date +%s%N) >> "
                + quote(log)
                + "; while :; do sleep 0.1; done");
    Conch.awaitLines(log, 1, 20_000);
    long frozenAt = System.currentTimeMillis() * 1_000_000;
    etcd.freeze();
    List<String> l = Conch.awaitLines(log, 2, 10_000);
    long killedAfter = (Long.parseLong(l.get(1).split(" ")[1]) - frozenAt) / 1_000_000;
    System.out.printf("etcd frozen -> child SIGTERM: %d ms (ttl 3s)%n", killedAfter);
    // the deadline is TTL after the send of the last acknowledged keepalive, which precedes the
    // freeze;
    // the slack covers the watchdog's read timing out and the child's trap writing its line
    assertTrue(
        killedAfter <= 3_000 + 300,
        "SIGTERM no later than the TTL after etcd went silent: " + killedAfter + " ms");
    assertEquals(70, r.exit(15_000));
    assertTrue(r.stderr().contains("lease lost") && r.stderr().contains("deadline"), r.stderr());
  }

  @Test
  void restartRunsTheCommandAgainWhenEtcdAnswersAgain() {
    Conch c = new Conch(etcd.endpoint);
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
            "echo $CONCH_REV >> " + quote(log) + "; sleep 300");
    Conch.awaitLines(log, 1, 20_000);
    etcd.freeze();
    Procs.nap(
        4_000); // etcd stays silent past the TTL: the wrapper must give up its child meanwhile
    assertEquals(1, Conch.lines(log).size(), "no new run while etcd is silent");
    etcd.thaw();
    List<String> l = Conch.awaitLines(log, 2, 30_000);
    assertTrue(
        Long.parseLong(l.get(1)) > Long.parseLong(l.get(0)),
        "a new term with a higher token: " + l);
    Procs.kill("TERM", r.pid());
    assertEquals(143, r.exit(20_000));
  }

  /**
   * At start-up, an endpoint that accepts connections and never answers (a hung or partitioned
   * etcd) is unreachable like a refused port: 69 within the dial timeout, one line, for a wrapper
   * and for a daemon.
   */
  @Test
  void silentOrRefusingEtcdAtStartUpExitsSixtyNineWithinTheDialTimeout() throws IOException {
    // the kernel completes the handshakes into the backlog; nobody ever reads or writes
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      for (String endpoint :
          List.of("http://127.0.0.1:" + silent.getLocalPort(), EtcdServer.deadEndpoint())) {
        Conch c = new Conch(endpoint);
        for (List<String> args :
            List.of(
                List.of("elect", "o", "--dial-timeout", "1s", "--", "true"),
                List.of("daemon", "--dial-timeout", "1s"))) {
          long t0 = System.nanoTime();
          Conch.Run r = c.run(args.toArray(String[]::new));
          long took = (System.nanoTime() - t0) / 1_000_000;
          String what = args.get(0) + " on " + endpoint + ": " + r.stderr();
          System.out.printf("%s: 69 after %d ms (dial timeout 1s)%n", what.strip(), took);
          assertEquals(69, r.exit(0), what);
          assertEquals(1, r.stderr().strip().lines().count(), "one line: " + what);
          assertTrue(r.stderr().contains("unreachable"), what);
          // the wrapper's JVM start is in `took` too, slow on a loaded machine
          assertTrue(took < 1_000 + 4_000, "dial timeout plus JVM start: " + took + " ms, " + what);
        }
      }
    }
  }
}
