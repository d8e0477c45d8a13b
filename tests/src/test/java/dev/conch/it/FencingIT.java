package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Fence;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fencing by CONCH_KEY (contract section 4): a write guarded by {@code create_revision(CONCH_KEY)
 * == CONCH_REV} lands while the command's wrapper holds, and is refused once that holder lost its
 * key: its lease revoked, expired behind a partition, expired while its wrapper was frozen past the
 * TTL. A refused write changes nothing; the next holder's write lands. The stale writes after an
 * expiry are made from outside the command's group with the CONCH_KEY and CONCH_REV it logged (its
 * watchdog killed the group at the deadline): a holder's write delayed past its lease.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FencingIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  static final long TTL_MS = 2_000, KILL_AFTER_MS = 500, LOCK_DELAY_MS = KILL_AFTER_MS + 1_000;

  /** conch TOOL over {@code command}, with TTL and kill-after; sema with one slot. */
  private static String[] args(String tool, List<String> options, String command) {
    List<String> a = new ArrayList<>(List.of(tool, "o", "--ttl", TTL_MS / 1000 + "s"));
    if (tool.equals("sema")) a.addAll(List.of("--max", "1"));
    a.addAll(options);
    a.addAll(List.of("--", "bash", "-c", command));
    return a.toArray(String[]::new);
  }

  private static List<String> killAfter(long ms) {
    return List.of("--kill-after", ms + "ms");
  }

  /** bash: one guarded write of the command's token, logged as "CONCH_KEY CONCH_REV JSON". */
  private static String write(String target, Path log) {
    return "echo \"$CONCH_KEY $CONCH_REV $(" + Fence.shell(target) + ")\" >> " + quote(log) + "; ";
  }

  /** A logged write: the writer's key and token, and etcd's answer. */
  private record Logged(String key, String rev, Fence.Outcome outcome) {
    static Logged of(String line) {
      String[] f = line.split(" ", 3);
      Fence.Outcome o = f.length == 3 ? Fence.Outcome.parse(f[2]) : null;
      assertNotNull(o, "etcdctl txn answered: " + line);
      return new Logged(f[0], f[1], o);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"elect", "sema"})
  void aGuardedWriteLandsWhileHoldingAndIsRefusedOnceTheLeaseIsRevoked(String tool) {
    Conch c = Fence.etcdctl(new Conch(etcd.endpoint()), etcd.endpoint());
    Path log = c.file("log");
    String target = c.prefix + "-fenced";
    // the command revokes its own lease, waits for the SIGTERM of its wrapper, which saw the key go
    // (it may come while etcdctl revoke still runs), and writes again before the SIGKILL kill-after
    // (2 s) later: a holder that carries on although told. Not while the SIGTERM may come: etcdctl,
    // a Go program, dies of it even when ignored.
    Conch.Run r =
        c.start(
            args(
                tool,
                killAfter(2_000),
                "trap t=1 TERM; "
                    + write(target, log)
                    + "etcdctl lease revoke $CONCH_LEASE >/dev/null; until [ \"$t\" ]; do sleep 0.05; done; "
                    + write(target, log)
                    + "sleep 300"));
    List<String> lines = Conch.awaitLines(log, 2, 30_000);
    Logged held = Logged.of(lines.get(0)), revoked = Logged.of(lines.get(1));
    assertEquals(70, r.exit(30_000), "the lease was lost while holding: " + r.stderr());
    System.out.printf(
        "FencingIT %s: guarded write landed at revision %d; after the revoke refused at %d%n",
        tool, held.outcome().revision(), revoked.outcome().revision());
    assertTrue(held.outcome().succeeded(), "lands while holding: " + lines);
    assertFalse(revoked.outcome().succeeded(), "refused once revoked: " + lines);
    assertEquals(
        held.rev() + "@" + held.outcome().revision(),
        Fence.state(etcd.endpoint(), target),
        "the refused write changed nothing");
  }

  @ParameterizedTest
  @ValueSource(strings = {"elect", "sema"})
  void aFrozenHoldersWriteIsRefusedOnceItsLeaseExpired(String tool) {
    Conch c = Fence.etcdctl(new Conch(etcd.endpoint()), etcd.endpoint());
    staleWriteAfterAnExpiry(
        c, tool, "frozen", List.of(), h -> Procs.kill("STOP", h.pid()), etcd.endpoint());
  }

  @Test
  void aWriteOfAHolderCutOffByAPartitionIsRefusedOnceItsLeaseExpired() {
    try (EtcdServer cluster = EtcdServer.start(3, Boolean.getBoolean("conch.etcd.secure"))) {
      try {
        cluster.lead(1); // the leader keeps quorum with member 2; the lease expires there
        String majority = cluster.endpointsBut(0);
        Conch c = Fence.etcdctl(new Conch(majority), majority);
        // the holder knows member 0 alone; its command and the waiter write through the majority
        List<String> onlyMember0 = List.of("--endpoints", cluster.member(0));
        staleWriteAfterAnExpiry(
            c, "elect", "partitioned", onlyMember0, h -> cluster.freeze(0), majority);
      } finally {
        cluster.thaw();
      }
    }
  }

  /**
   * H holds and writes, W queues behind it; {@code cut} cuts H off from etcd (H's wrapper gets
   * {@code hOptions}); once H's lease expired W's write lands, and H's late write with its key and
   * token through {@code endpoints} is refused and changes nothing. H exits 70.
   */
  private static void staleWriteAfterAnExpiry(
      Conch c,
      String tool,
      String how,
      List<String> hOptions,
      Consumer<Conch.Run> cut,
      String endpoints) {
    Path log = c.file("log");
    String target = c.prefix + "-fenced";
    String command = write(target, log) + "exec sleep 300";
    List<String> options = new ArrayList<>(killAfter(KILL_AFTER_MS));
    options.addAll(hOptions);
    Conch.Run h = c.start(args(tool, options, command));
    Conch.awaitLines(log, 1, 30_000);
    Conch.Run w = c.start(args(tool, killAfter(KILL_AFTER_MS), command));
    c.awaitKeysUnder("/", 2);
    long t0 = System.nanoTime();
    cut.accept(h);
    try {
      List<String> lines = Conch.awaitLines(log, 2, 30_000);
      long took = (System.nanoTime() - t0) / 1_000_000;
      Logged held = Logged.of(lines.get(0)), next = Logged.of(lines.get(1));
      Fence.Outcome stale = Fence.write(endpoints, held.key(), held.rev(), target);
      System.out.printf(
          "FencingIT %s %s: cut off -> next holder's write %d ms (TTL %d + lock-delay %d ms);"
              + " stale write refused at revision %d%n",
          tool, how, took, TTL_MS, LOCK_DELAY_MS, stale.revision());
      assertTrue(held.outcome().succeeded() && next.outcome().succeeded(), lines.toString());
      assertTrue(Long.parseLong(next.rev()) > Long.parseLong(held.rev()), lines.toString());
      assertFalse(stale.succeeded(), "the stale holder's write is refused");
      assertEquals(
          next.rev() + "@" + next.outcome().revision(),
          Fence.state(endpoints, target),
          "the refused write changed nothing");
    } finally {
      if (Procs.alive(h.pid())) Procs.kill("CONT", h.pid()); // a frozen H wakes to its loss
    }
    assertEquals(70, h.exit(30_000), "H lost its lease while holding: " + h.stderr());
    assertEquals(143, w.stop(), w.stderr());
  }
}
