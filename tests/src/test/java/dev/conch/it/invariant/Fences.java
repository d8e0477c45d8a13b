package dev.conch.it.invariant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Fence;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The fencing invariant (contract section 4), pure (FencesTest): every guarded write that etcd let
 * land came from a holder of the revision it landed at, even in an overlap window, when a lost
 * child still runs and writes: its key existed, and fewer than N keys ranked ahead of it. Under
 * elect the tokens of the landed writes never go backwards in revision order. (Not under sema: N
 * holders write in turns, and an older one may write after a newer one, rightly.)
 */
final class Fences {
  private Fences() {}

  /** One attempt by the child whose token is {@code token}; {@code outcome} null: no answer. */
  record Write(long token, Fence.Outcome outcome) {
    boolean landed() {
      return outcome != null && outcome.succeeded();
    }
  }

  /** What a run's writes came to. */
  record Tally(long landed, long refused, long unanswered) {
    @Override
    public String toString() {
      return landed + " landed, " + refused + " refused, " + unanswered + " unanswered";
    }
  }

  /**
   * Checks {@code writes} against each key's life: its create revision (the token) to the revision
   * that deleted it ({@code lives}; MAX_VALUE: never), every key under the office or semaphore.
   */
  static Tally check(List<Write> writes, Map<Long, Long> lives, int max) {
    List<Write> landed =
        writes.stream()
            .filter(Write::landed)
            .sorted(Comparator.comparingLong(w -> w.outcome().revision()))
            .toList();
    // what a downstream system that keeps the highest token relies on; it follows from the ranks
    for (int i = 1; max == 1 && i < landed.size(); i++)
      assertTrue(
          landed.get(i).token() >= landed.get(i - 1).token(),
          "tokens went backwards: " + landed.get(i - 1) + " then " + landed.get(i));
    for (Write w : landed) {
      long at = w.outcome().revision();
      assertTrue(alive(w.token(), at, lives), "a write landed at " + at + " without its key: " + w);
      long ahead =
          lives.keySet().stream().filter(k -> k < w.token() && alive(k, at, lives)).count();
      assertTrue(
          ahead < max, "a write landed at " + at + " with " + ahead + " keys ahead of it: " + w);
    }
    long unanswered = writes.stream().filter(w -> w.outcome() == null).count();
    return new Tally(landed.size(), writes.size() - landed.size() - unanswered, unanswered);
  }

  /** Whether the key created at {@code rev} existed at revision {@code at}. */
  private static boolean alive(long rev, long at, Map<Long, Long> lives) {
    return lives.containsKey(rev) && rev <= at && at < lives.get(rev);
  }
}
