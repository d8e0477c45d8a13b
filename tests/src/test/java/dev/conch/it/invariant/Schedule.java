package dev.conch.it.invariant;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The seeded plan of a run: the faults, in order and spaced, and what each contender's child does.
 * A function of the seed alone, never of what happened during the run, so -Dconch.seed=N replays
 * the same plan (real processes cannot replay timings).
 */
final class Schedule {
  private Schedule() {}

  enum Kind {
    KILL_WRAPPER,
    REVOKE,
    REVOKE_FROZEN,
    STOP_SHORT,
    STOP_LONG,
    TERM_CHILD,
    TERM_TRAPPING_CHILD
  }

  /** {@code pick} chooses the target among the fitting holders in rank order. */
  record Fault(long delayMs, Kind kind, int pick) {}

  /**
   * One fault of each kind in a seeded order, then seeded random ones until {@code faultMs} of
   * delays.
   */
  static List<Fault> faults(long seed, long faultMs) {
    Random r = new Random(seed);
    List<Kind> first = new ArrayList<>(List.of(Kind.values()));
    Collections.shuffle(first, r);
    List<Fault> s = new ArrayList<>();
    for (long total = 0; total < faultMs || s.size() < first.size(); ) {
      long delay = 600 + r.nextInt(1400);
      Kind kind =
          s.size() < first.size()
              ? first.get(s.size())
              : Kind.values()[r.nextInt(Kind.values().length)];
      s.add(new Fault(delay, kind, r.nextInt(1 << 16)));
      total += delay;
    }
    return s;
  }

  /** What a contender's command does: sleeps {@code seconds}, ignoring SIGTERM or not. */
  record Child(String seconds, boolean ignoresTerm) {}

  /**
   * The child of slot {@code slot}'s {@code generation}th wrapper: its duration comes from the
   * seed, the slot and the generation, whether it ignores SIGTERM from the slot and the generation;
   * never from the order in which wrappers happened to exit.
   */
  static Child child(long seed, int slot, int generation) {
    Random random =
        new Random(seed ^ slot * 0x9E3779B97F4A7C15L ^ generation * 0xBF58476D1CE4E5B9L);
    // half the children are short, half would outlive a lost lease unless something stops them
    String seconds =
        String.format(
            "%.1f",
            random.nextBoolean() ? 0.3 + random.nextInt(13) / 10.0 : 4 + random.nextInt(40) / 10.0);
    // alternating, not drawn: both kinds of child hold in every run, so both SIGTERM faults land
    return new Child(seconds, (slot + generation) % 2 == 0);
  }
}
