package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Netns;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Partitions of a three-member cluster, each member on a host of the test's own (network
 * namespaces). A wrapper on host 0 reaches only member 0, over its loopback; a contender here
 * reaches members 1 and 2. Host 0's link is then cut: member 0 is a minority of one, and the
 * wrapper still reaches it. The wrapper must kill its command within the lease bound, nobody on the
 * majority side may start before that command is dead, and the margin between the two is printed:
 * the lock-delay (contract section 4) makes it at least kill-after. Healed, host 0 rejoins.
 */
@Isolated // the kill and the margin are bounded
class NetPartitionIT {
  static final long TTL_MS = 4_000;
  static final long KILL_AFTER_MS = 1_000;

  /** etcd's default election timeout: a cut-off leader steps down within two of them. */
  static final long ELECTION_MS = 1_000;

  /** Scheduling latency on a loaded 2-core machine, as the invariant harness measured it. */
  static final long SLACK_MS = 400;

  static Netns net;
  static EtcdServer etcd;

  @BeforeAll
  static void up() {
    net = Netns.create(3);
    etcd = EtcdServer.start(net);
    Conch.classpath();
  }

  @AfterAll
  static void down() {
    if (etcd != null) etcd.close();
    if (net != null) net.close();
  }

  @AfterEach
  void heal() {
    net.heal(0);
  }

  /** A command that logs its start and its end (on SIGTERM, at once) as "start|end NAME NANOS". */
  static String logged(Path log, String name) {
    String at = " " + name + " $(date +%s%N) >> " + quote(log);
    return "trap 'echo end" + at + "; exit 143' TERM; echo start" + at + "; sleep 600 & wait";
  }

  /** A logged line's event: "start NAME" or "end NAME". */
  static String event(String line) {
    return line.substring(0, line.lastIndexOf(' '));
  }

  /** When the first line of {@code event} was logged (epoch ns). */
  static long at(List<String> lines, String event) {
    return lines.stream()
        .filter(l -> event(l).equals(event))
        .mapToLong(l -> Long.parseLong(l.split(" ")[2]))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no '" + event + "' in " + lines));
  }

  /** conch, as started on host {@code i} (its only endpoint its own member), with c's prefix. */
  static Conch.Run onHost(int i, Conch c, String... args) {
    Conch h = new Conch(etcd.local(i)).env("CONCH_PREFIX", c.prefix);
    return h.launch(Args.cat(net.in(i), Args.cat(Conch.java(), List.of(args))));
  }

  @Test
  void aHolderCutOffWithAFollowerIsKilledWithinTheLeaseAndNobodyStartsBeforeItsEnd() {
    cutOffAHolder(1, TTL_MS + SLACK_MS);
  }

  @Test
  void aHolderCutOffWithTheLeaderIsKilledWhenItStepsDownAndNobodyStartsBeforeItsEnd() {
    // the leader acknowledges keepalives on its own until it sees it lost the quorum
    cutOffAHolder(0, TTL_MS + 2 * ELECTION_MS + SLACK_MS);
  }

  private void cutOffAHolder(int leader, long killBoundMs) {
    etcd.lead(leader);
    Conch c = new Conch(etcd.endpointsBut(0));
    Path log = c.file("log");
    String[] hold = {"elect", "o", "--ttl", "4s", "--kill-after", "1s"};
    Conch.Run held =
        onHost(
            0,
            c,
            Args.array(
                List.of(hold),
                List.of("--restart", "--backoff-max", "1s", "--", "bash", "-c", logged(log, "a"))));
    Conch.awaitLines(log, 1, 30_000);
    Conch.Run next =
        c.start(Args.array(List.of(hold), List.of("--", "bash", "-c", logged(log, "b"))));
    c.awaitKeys(2);
    long cut = System.currentTimeMillis() * 1_000_000;
    net.cut(0);
    List<String> l = Conch.awaitLines(log, 3, 30_000);
    long killed = (at(l, "end a") - cut) / 1_000_000;
    long margin = (at(l, "start b") - at(l, "end a")) / 1_000_000;
    System.out.printf(
        "member 0 %s cut off: its holder's command ended %d ms after the cut (bound %d), the"
            + " majority's started %d ms after that (lock-delay %d ms)%n",
        leader == 0 ? "(leader)" : "(follower)",
        killed,
        killBoundMs,
        margin,
        KILL_AFTER_MS + 1_000);
    assertTrue(killed <= killBoundMs, "killed within the lease bound: " + killed + " ms");
    assertTrue(
        margin >= KILL_AFTER_MS,
        "the next command started at least kill-after after the old one ended: " + margin + " ms");
    assertTrue(
        held.stderr().contains("lost"), "the cut-off wrapper says it lost: " + held.stderr());

    // healed, the cut-off wrapper campaigns again and holds once the majority's holder is gone
    next.stop();
    long healed = System.nanoTime();
    net.heal(0);
    Conch.awaitLines(log, 5, 60_000);
    assertEquals(
        "start a", String.join(" ", List.of(Conch.lines(log).get(4).split(" ")).subList(0, 2)));
    System.out.printf(
        "healed: the cut-off wrapper held again %d ms later%n",
        (System.nanoTime() - healed) / 1_000_000);
    held.stop();
  }

  @Test
  void aDaemonCutOffMidRunHasItsRunKilledAndNoTickRunsTwice() {
    etcd.lead(1);
    Conch c = new Conch(etcd.endpointsBut(0));
    Path log = c.file("log");
    Cron.add(c, "j", "--schedule", "@every 2s", "--", "bash", "-c", logged(log, "$CONCH_TICK"));
    String[] daemon = {"daemon", "--ttl", "4s", "--kill-after", "1s", "--grace", "1s"};
    Conch.Run cutOff = onHost(0, c, daemon);
    Conch.awaitLines(log, 1, 30_000); // a run of host 0's daemon is going
    Conch.Run other = c.start(daemon);
    c.awaitKeysUnder("/v1/daemons/", 2);
    long cut = System.currentTimeMillis() * 1_000_000;
    net.cut(0);
    List<String> l = Conch.awaitLines(log, 3, 30_000);
    String first = l.get(0).split(" ")[1];
    String second = l.get(2).split(" ")[1];
    assertEquals(
        List.of("start " + first, "end " + first), List.of(event(l.get(0)), event(l.get(1))));
    assertTrue(second.compareTo(first) > 0, "a later tick ran, never the cut-off one again: " + l);
    long killed = (at(l, "end " + first) - cut) / 1_000_000;
    long margin = (at(l, "start " + second) - at(l, "end " + first)) / 1_000_000;
    System.out.printf(
        "daemon cut off mid-run: its run ended %d ms after the cut (bound %d), the next run"
            + " started %d ms after that%n",
        killed, TTL_MS + SLACK_MS, margin);
    assertTrue(killed <= TTL_MS + SLACK_MS, "run killed within the daemon's lease: " + killed);
    assertTrue(margin >= KILL_AFTER_MS, "the next run started kill-after after: " + margin);

    // healed, host 0's daemon registers again; the majority's run is still going, so it skips
    net.heal(0);
    c.awaitKeysUnder("/v1/daemons/", 2);
    other.stop();
    cutOff.stop();
    List<String> starts = Conch.lines(log).stream().filter(x -> x.startsWith("start ")).toList();
    assertEquals(starts.size(), starts.stream().distinct().count(), "no tick ran twice: " + starts);
  }
}
