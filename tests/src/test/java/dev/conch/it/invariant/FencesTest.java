package dev.conch.it.invariant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Fence;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fencing invariant on made-up writes: keys 10 (deleted at 20) and 15 (deleted at 30). */
class FencesTest {
  static final Map<Long, Long> LIVES = Map.of(10L, 20L, 15L, 30L);

  static Fences.Write landed(long token, long at) {
    return new Fences.Write(token, new Fence.Outcome(true, at));
  }

  static Fences.Write refused(long token, long at) {
    return new Fences.Write(token, new Fence.Outcome(false, at));
  }

  @Test
  void eachHolderInItsTurnAndTheStaleWritesRefused() {
    Fences.Tally t =
        Fences.check(
            List.of(
                landed(10, 12),
                refused(15, 16),
                landed(10, 19),
                refused(10, 21),
                landed(15, 22),
                new Fences.Write(10, null)),
            LIVES,
            1);
    assertEquals(new Fences.Tally(3, 2, 1), t);
  }

  @Test
  void aWriteWithAKeyAheadLandsOnlyWithinTheFirstN() {
    List<Fences.Write> both = List.of(landed(10, 16), landed(15, 17));
    assertEquals(2, Fences.check(both, LIVES, 2).landed());
    AssertionError e = assertThrows(AssertionError.class, () -> Fences.check(both, LIVES, 1));
    assertTrue(e.getMessage().contains("1 keys ahead"), e.getMessage());
  }

  @Test
  void aWriteAfterItsKeyWasDeletedFails() {
    AssertionError e =
        assertThrows(AssertionError.class, () -> Fences.check(List.of(landed(10, 20)), LIVES, 2));
    assertTrue(e.getMessage().contains("without its key"), e.getMessage());
  }

  @Test
  void tokensGoingBackwardsUnderElectFail() {
    List<Fences.Write> back = List.of(landed(15, 18), landed(10, 19));
    AssertionError e = assertThrows(AssertionError.class, () -> Fences.check(back, LIVES, 1));
    assertTrue(e.getMessage().contains("backwards"), e.getMessage());
    assertEquals(2, Fences.check(back, LIVES, 2).landed(), "under sema holders write in turns");
  }
}
