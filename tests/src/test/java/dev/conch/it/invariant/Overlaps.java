package dev.conch.it.invariant;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The invariant harness's overlap windows, pure (OverlapsTest). An excess is a period in which more
 * than N children ran; it is allowed only while a child whose key was deleted (a lost child) still
 * runs. Each loss gets its own window: from its key's deletion until its child ended or the excess
 * did, whichever came first, checked against that child's own bound. A window is never measured
 * from one loss to the end of an excess that a later loss kept open: successive losses (the next
 * holder faulted before the first one's child was gone) are two windows, not one long one. A loss
 * that the lock-delay covers (contract section 4: the next holder waits at least as long as the old
 * child may outlive its key) excuses no excess: its window is how long an excess rested on such
 * losses alone, and must be 0.
 */
final class Overlaps {
  private Overlaps() {}

  /**
   * One child's run, in ns; {@code lost} is when its key was deleted (MAX_VALUE: never); {@code
   * covered}: the lock-delay covers that loss.
   */
  record Run(String name, long start, long end, long lost, long boundMs, boolean covered) {
    boolean liveAt(long t) {
      return start <= t && t < end;
    }

    /** Lost by {@code t}, allowing for the test's watch hearing of a deletion late. */
    boolean lostBy(long t, long lagNs) {
      return lost != Long.MAX_VALUE && lost - lagNs <= t;
    }
  }

  /**
   * How long one loss kept its child in an excess; for a covered loss, how long the excess rested
   * on covered losses alone, with no other lost child running.
   */
  record Window(Run run, long from, long to, long nanos) {
    boolean withinBound() {
      return run.covered ? nanos == 0 : nanos <= run.boundMs * 1_000_000;
    }
  }

  /** Every excess period [from, to) of more than {@code max} children at once. */
  static List<long[]> excesses(List<Run> all, int max) {
    record Edge(long t, int d) {}
    List<Edge> edges = new ArrayList<>();
    for (Run r : all) {
      edges.add(new Edge(r.start, 1));
      edges.add(new Edge(r.end, -1));
    }
    edges.sort(Comparator.comparingLong(Edge::t).thenComparingInt(Edge::d));
    List<long[]> periods = new ArrayList<>();
    int n = 0;
    long over = 0;
    for (Edge e : edges) {
      n += e.d();
      if (n == max + 1 && e.d() > 0) over = e.t();
      if (n == max && e.d() < 0) periods.add(new long[] {over, e.t()});
    }
    return periods;
  }

  /**
   * The windows of the excess [from, to): one per lost child that ran in it. Throws if at some
   * moment of the excess no lost child ran: then more than N children with live keys ran at once.
   */
  static List<Window> windows(List<Run> all, long from, long to, long lagNs) {
    List<Run> lost =
        all.stream()
            .filter(r -> r.start < to && r.end > from && r.lostBy(to, lagNs))
            .sorted(Comparator.comparingLong(Run::lost))
            .toList();
    // between two moments, who runs and who is lost stays the same
    TreeSet<Long> moments = new TreeSet<>(List.of(from, to));
    for (Run r : all)
      for (long t : new long[] {r.start, r.end, r.lost == Long.MAX_VALUE ? to : r.lost - lagNs})
        if (t > from && t < to) moments.add(t);
    Map<Run, Long> rested = new IdentityHashMap<>();
    for (long t = from; t < to; t = moments.higher(t)) {
      long at = t;
      List<Run> excusing = lost.stream().filter(r -> r.liveAt(at) && r.lostBy(at, lagNs)).toList();
      if (excusing.isEmpty())
        throw new AssertionError(
            "more than N ran with no lost child among them at " + t / 1_000_000 % 100_000);
      if (excusing.stream().allMatch(Run::covered))
        for (Run r : excusing) rested.merge(r, moments.higher(t) - t, Long::sum);
    }
    return lost.stream()
        .map(
            r ->
                new Window(
                    r,
                    from,
                    to,
                    r.covered ? rested.getOrDefault(r, 0L) : Math.min(r.end, to) - r.lost))
        .toList();
  }
}
