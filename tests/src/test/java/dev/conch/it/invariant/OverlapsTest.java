package dev.conch.it.invariant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The invariant harness's window arithmetic on made-up runs (ms, as ns). */
class OverlapsTest {
  static final long NEVER = Long.MAX_VALUE;

  static Overlaps.Run run(String name, long start, long end, long lost, long bound) {
    return run(name, start, end, lost, bound, false);
  }

  static Overlaps.Run run(
      String name, long start, long end, long lost, long bound, boolean covered) {
    long lostNs = lost == NEVER ? NEVER : lost * 1_000_000;
    return new Overlaps.Run(name, start * 1_000_000, end * 1_000_000, lostNs, bound, covered);
  }

  /**
   * The shape of CI's failure (issue 12): A's lease revoked while its wrapper was frozen (bound
   * 2900), B takes over, B is faulted 2100 ms later (bound 900) and C takes over before A's child
   * is gone. The excess lasts from 10 to 2950: measured from A's loss that is 2950 ms, over A's
   * bound, although A's child ended 2800 ms after its loss and B's 850 ms after its own.
   */
  @Test
  void successiveLossesAreTwoWindowsEachWithinItsOwnBound() {
    List<Overlaps.Run> all =
        List.of(
            run("A", 0, 2800, 0, 2900),
            run("B", 10, 2950, 2100, 900),
            run("C", 2150, 4000, NEVER, 900));
    List<long[]> ex = Overlaps.excesses(all, 1);
    assertEquals(1, ex.size());
    assertEquals(10 * 1_000_000L, ex.get(0)[0]);
    assertEquals(2950 * 1_000_000L, ex.get(0)[1]); // from A's loss: 2950 ms, what CI measured
    List<Overlaps.Window> w = Overlaps.windows(all, ex.get(0)[0], ex.get(0)[1], 0);
    assertEquals(List.of("A", "B"), w.stream().map(x -> x.run().name()).toList());
    assertEquals(2800 * 1_000_000L, w.get(0).nanos());
    assertEquals(850 * 1_000_000L, w.get(1).nanos());
    assertTrue(w.stream().allMatch(Overlaps.Window::withinBound));
  }

  @Test
  void aChildOutlivingItsOwnBoundIsCaught() {
    List<Overlaps.Run> all = List.of(run("A", 0, 3000, 0, 2900), run("B", 10, 5000, NEVER, 900));
    long[] ex = Overlaps.excesses(all, 1).get(0);
    Overlaps.Window w = Overlaps.windows(all, ex[0], ex[1], 0).get(0);
    assertEquals(2990 * 1_000_000L, ex[1] - ex[0]);
    assertEquals(3000 * 1_000_000L, w.nanos());
    assertTrue(!w.withinBound());
  }

  @Test
  void anExcessWithNoLostChildLeftIsRefused() {
    // A lost and gone at 500, but B and C, both with live keys, still ran together until 900
    List<Overlaps.Run> all =
        List.of(
            run("A", 0, 500, 0, 900),
            run("B", 10, 900, NEVER, 900),
            run("C", 20, 2000, NEVER, 900));
    long[] ex = Overlaps.excesses(all, 1).get(0);
    assertThrows(AssertionError.class, () -> Overlaps.windows(all, ex[0], ex[1], 0));
  }

  @Test
  void theWatchLagCountsALossHeardOfLateAsALoss() {
    List<Overlaps.Run> all = List.of(run("A", 0, 300, 150, 900), run("B", 100, 1000, NEVER, 900));
    long[] ex = Overlaps.excesses(all, 1).get(0);
    assertThrows(AssertionError.class, () -> Overlaps.windows(all, ex[0], ex[1], 0));
    assertEquals(1, Overlaps.windows(all, ex[0], ex[1], 200 * 1_000_000L).size());
  }

  /**
   * The lock-delay covers B's loss, not A's (a revoke of a frozen holder): while A's loss excuses
   * the excess, B's child outliving its key adds nothing, a window of 0. Once only B's loss is left
   * to excuse an excess (C started 300 ms after B's key vanished, as if it had not waited), B's
   * window is that time, over its bound of 0.
   */
  @Test
  void aLossTheLockDelayCoversExcusesNoExcess() {
    List<Overlaps.Run> excused =
        List.of(
            run("A", 0, 2800, 0, 2900),
            run("B", 1500, 2300, 2000, 900, true),
            run("C", 3600, 5000, NEVER, 900));
    long[] ex = Overlaps.excesses(excused, 1).get(0);
    List<Overlaps.Window> w = Overlaps.windows(excused, ex[0], ex[1], 0);
    assertEquals(List.of("A", "B"), w.stream().map(x -> x.run().name()).toList());
    assertEquals(0, w.get(1).nanos());
    assertTrue(w.stream().allMatch(Overlaps.Window::withinBound));
    List<Overlaps.Run> early =
        List.of(run("B", 0, 600, 100, 900, true), run("C", 400, 2000, NEVER, 900));
    ex = Overlaps.excesses(early, 1).get(0);
    Overlaps.Window b = Overlaps.windows(early, ex[0], ex[1], 0).get(0);
    assertEquals(200 * 1_000_000L, b.nanos());
    assertTrue(!b.withinBound());
  }
}
