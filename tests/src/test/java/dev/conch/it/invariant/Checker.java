package dev.conch.it.invariant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.etcd.Etcd;
import dev.conch.it.invariant.Schedule.Kind;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Procs;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The invariants over what the observer recorded: at most N run at once except after a holder's key
 * is deleted, and each such overlap window closes within its child's bound (G1, G2); the system
 * converges after the last fault; fencing tokens increase (G3); every guarded write that landed
 * came from a holder of that revision ({@link Fences}).
 */
final class Checker {
  /**
   * Scheduling latency on the kill path, measured (docs/guarantees.md): the watchdog's bash wakes
   * from its timed read, signals, forks its kill-after nap and signals again, and the kernel tears
   * the group down, on a loaded 2-core machine.
   */
  static final long SLACK_MS = 400;

  /**
   * The test's watch learns of a deletion a moment after the next holder's wrapper may have (which
   * then still starts a JVM-forked bash before its child logs).
   */
  static final long WATCH_LAG_MS = 200;

  /**
   * Sema promotes several waiters at once; one of them may start its child up to a short pause (it
   * was frozen) plus its reaction time later than one ranked after it; or a lock-delay later: it
   * acquired first (the smaller token) but waits out an unclean vanish, while one ranked after it
   * takes a slot freed cleanly and starts at once (contract section 4: tokens follow acquisition).
   */
  static final long FENCE_EPS_MS = Faults.SHORT_PAUSE_MS + 500 + Wrappers.LOCK_DELAY_MS;

  private final String tool;
  private final int max;
  private final int contenders;
  private final long seed;
  private final long faultMs;
  private final Conch conch;
  private final Observer observer;
  private final Faults faults;

  /**
   * The largest overlap window measured, by bound (the wrapper could act, or it was frozen), or
   * "covered" for losses the lock-delay covers.
   */
  private final Map<String, Long> largestWindow = new TreeMap<>();

  Checker(Chaos run, Observer observer, Faults faults) {
    this.tool = run.tool;
    this.max = run.max;
    this.contenders = run.contenders;
    this.seed = run.seed;
    this.faultMs = run.faultMs;
    this.conch = run.conch;
    this.observer = observer;
    this.faults = faults;
  }

  static long ms(long millis) {
    return millis * 1_000_000;
  }

  /**
   * After the faults: exactly min(N, K) children run, those of the lowest-revision keys. Polled,
   * because a handover between two children passes through a moment with fewer.
   */
  void awaitConvergence(Client client, String prefix) throws Exception {
    long giveUp = System.nanoTime() + ms(10_000);
    while (true) {
      List<Long> keys =
          client
              .getKVClient()
              .get(Etcd.bytes(prefix), GetOption.builder().isPrefix(true).build())
              .get(10, TimeUnit.SECONDS)
              .getKvs()
              .stream()
              .map(KeyValue::getCreateRevision)
              .sorted()
              .toList();
      List<Long> running = observer.running();
      List<Long> expected = keys.subList(0, Math.min(max, keys.size()));
      observer.rethrow();
      if (running.size() == Math.min(max, contenders) && running.equals(expected)) return;
      if (System.nanoTime() > giveUp)
        throw new AssertionError(
            "no convergence: running " + running + ", keys by revision " + keys);
      Procs.nap(50);
    }
  }

  /** How long a child may outlive the deletion of its key. */
  long bound(Interval iv) {
    return faults.revokedFrozen.contains(iv.rev)
        ? Wrappers.TTL_MS + Wrappers.KILL_AFTER_MS + SLACK_MS
        : Wrappers.KILL_AFTER_MS + SLACK_MS;
  }

  /**
   * Whether the lock-delay covers the loss of {@code iv}'s key: the next holder waits at least as
   * long after the loss as the old child may outlive it (its bound), so the window must be 0. With
   * the default lock-delay (kill-after + 1 s, above kill-after + SLACK_MS) that is every loss but
   * one: SIGKILL of a wrapper (its watchdog ends the group at once, its key expires a TTL later), a
   * revoke of a running wrapper (SIGTERM within ms, SIGKILL kill-after later), SIGSTOP past the TTL
   * (the watchdog acts at the deadline, before etcd's expiry, and SIGKILLs kill-after later a child
   * that ignores SIGTERM). A revoke of a frozen wrapper is covered only by a lock-delay of TTL +
   * kill-after + SLACK_MS: its watchdog acts up to a TTL after the revoke. And only for contenders
   * queued before the key vanished: one that queues after it with nobody ahead starts at once (a
   * non-guarantee, docs/guarantees.md); if such a newcomer ran beside the old child, the loss keeps
   * its bound.
   */
  boolean covered(Interval iv, List<Interval> all) {
    long gone = observer.deletedRevision(iv);
    boolean newcomer = all.stream().anyMatch(o -> o.rev > gone && o.start < iv.end);
    return Wrappers.LOCK_DELAY_MS >= bound(iv) && !newcomer;
  }

  /**
   * Every invariant over the whole run, once the wrappers exited ({@code finalExits}) and the log
   * was read to its end; {@code settled} is when the last fault's effects were over.
   */
  void check(long settled, List<Integer> finalExits) {
    List<Interval> all = observer.all();
    assertTrue(
        all.size() >= Math.max(5, faultMs / 3000), "enough runs to mean something: " + all.size());
    for (Kind k : Kind.values())
      assertTrue(
          faults.effective.getOrDefault(k, 0) > 0,
          "every kind of fault happened with effect: " + k);
    assertTrue(
        all.stream().allMatch(iv -> iv.end != Long.MAX_VALUE), "no child left running: " + all);
    // G2: a child outlives the deletion of its key by at most its bound
    for (Interval iv : all) {
      long lost = observer.lost(iv);
      assertTrue(
          iv.end - lost <= ms(bound(iv)),
          "child outlived its key: "
              + iv
              + " ended "
              + (iv.end - lost) / 1_000_000
              + " ms after the deletion");
    }
    // G1: at every start at most N children whose key was not yet deleted
    for (Interval b : all) {
      List<Interval> live = all.stream().filter(iv -> iv.liveAt(b.start)).toList();
      long held =
          live.stream().filter(iv -> observer.lost(iv) - ms(WATCH_LAG_MS) > b.start).count();
      assertTrue(
          held <= max,
          held
              + " children with live keys at once at "
              + b.start / 1_000_000 % 100_000
              + ": "
              + live);
    }
    // the overlap windows: each loss's, from its key's deletion to its child's end or the
    // excess's, within that child's bound
    List<Overlaps.Run> runs =
        all.stream()
            .map(
                iv ->
                    new Overlaps.Run(
                        iv.toString(),
                        iv.start,
                        iv.end,
                        observer.lost(iv),
                        bound(iv),
                        covered(iv, all)))
            .toList();
    for (long[] ex : Overlaps.excesses(runs, max)) {
      assertTrue(ex[0] < settled, "no overlap after the system settled: " + ex[0]);
      for (Overlaps.Window w : Overlaps.windows(runs, ex[0], ex[1], ms(WATCH_LAG_MS))) {
        assertTrue(
            w.withinBound(),
            "overlap window of "
                + w.nanos() / 1_000_000
                + " ms after the loss of "
                + w.run().name()
                + (w.run().covered()
                    ? ", which the lock-delay covers: the next holder did not wait it out"
                    : " exceeds its bound of " + w.run().boundMs() + " ms"));
        largestWindow.merge(
            w.run().covered() ? "covered" : Long.toString(w.run().boundMs()),
            w.nanos() / 1_000_000,
            Math::max);
      }
    }
    // G3: fencing tokens
    for (int i = 0; i < all.size(); i++) {
      Interval b = all.get(i);
      for (Interval a : all.subList(0, i)) {
        assertTrue(a.rev != b.rev, "every holder has its own token: " + a + " " + b);
        if (max == 1 || b.start - a.start > ms(FENCE_EPS_MS))
          assertTrue(b.rev > a.rev, "tokens increase across successions: " + a + " then " + b);
      }
    }
    Fences.Tally writes = Fences.check(observer.writes(), observer.lives(), max);
    assertTrue(writes.landed() > 0, "the children's guarded writes landed: " + writes);
    // convergence: every wrapper still queued after the last fault got its turn and finished
    assertEquals(
        Collections.nCopies(contenders, 0),
        finalExits,
        "after the faults every waiter was promoted and its command ran to the end");
    assertEquals(List.of(), conch.keys(), "nothing left in etcd");
    List<Interval> covered =
        all.stream().filter(iv -> observer.unmarked(iv) && covered(iv, all)).toList();
    System.out.printf(
        "invariants %s N=%d K=%d seed %d: %d runs, %d faults %s, %d unmarked losses the lock-delay covers%s,"
            + " largest overlap window in ms by its bound in ms %s; guarded writes: %s%n",
        tool,
        max,
        contenders,
        seed,
        all.size(),
        faults.applied.size(),
        faults.effective,
        covered.size(),
        max == 1 ? " (smallest margin " + margin(all, covered) + " ms)" : "",
        largestWindow,
        writes);
  }

  /**
   * The lock-delay's smallest margin under elect: from a covered lost child's end to the next start
   * after its loss, its successor's. (Under sema a waiter may take another, cleanly freed slot
   * sooner: no margin to speak of.)
   */
  private long margin(List<Interval> all, List<Interval> covered) {
    return covered.stream()
            .mapToLong(
                iv ->
                    all.stream()
                        .filter(b -> b.start > observer.lost(iv))
                        .mapToLong(b -> b.start - iv.end)
                        .min()
                        .orElse(Long.MAX_VALUE))
            .min()
            .orElse(Long.MAX_VALUE)
        / 1_000_000;
  }
}
