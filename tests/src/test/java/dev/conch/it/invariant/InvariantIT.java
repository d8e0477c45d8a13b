package dev.conch.it.invariant;

import dev.conch.it.support.EtcdFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The sacred tests (layer 3): K competing wrapper processes under a seeded schedule of faults
 * (SIGKILL of wrappers, lease revocations, SIGSTOP/SIGCONT of wrappers below and above the TTL,
 * SIGTERM of children). Every child logs its start and its writes guarded by CONCH_KEY; an observer
 * records when its process group is gone, a watch when its key is deleted. Afterwards, over the
 * intervals: at most N run at once except after a holder's key is deleted, and that overlap window
 * closes within its bound; the system converges after the last fault; fencing tokens increase;
 * every guarded write that landed came from a holder of its revision. -Dconch.seed=N replays the
 * same fault schedule (real processes cannot replay timings); every failure message names its seed.
 *
 * <p>The harness, by role: {@link Schedule} (the seeded plan), {@link Wrappers} (the contenders),
 * {@link Faults} (injecting them), {@link Observer} (what is recorded), {@link Checker} (the
 * invariants, with {@link Overlaps} and {@link Fences}), {@link Chaos} (one run of them all).
 */
@Isolated // runs alone: the overlap windows are bounded with a measured 400 ms scheduling-latency
// term; its two runs go side by side (each on its own prefix), lighter than the whole suite beside
// which that term was measured (docs/guarantees.md, G2)
@Execution(ExecutionMode.CONCURRENT)
class InvariantIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  static final long SEED = Long.getLong("conch.seed", 20261124L);
  static final long FAULT_MS = Long.getLong("conch.chaos.ms", 25_000);

  @Test
  void electUnderFaults() {
    new Chaos(etcd, "elect", 1, 4, SEED, FAULT_MS).run();
  }

  @Test
  void semaUnderFaults() {
    new Chaos(etcd, "sema", 2, 5, SEED, FAULT_MS).run();
  }
}
