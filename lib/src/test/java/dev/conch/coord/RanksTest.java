package dev.conch.coord;

import static dev.conch.coord.Ranks.Wait.HOLD;
import static dev.conch.coord.Ranks.Wait.WATCH_DELETIONS_AHEAD;
import static dev.conch.coord.Ranks.Wait.WATCH_PREDECESSOR;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RanksTest {
  @Test
  void fewerThanMaxAheadHolds() {
    assertEquals(HOLD, Ranks.decide(0, 1, false));
    assertEquals(HOLD, Ranks.decide(4, 5, true));
    assertEquals(HOLD, Ranks.decide(0, 10_000, false));
  }

  @Test
  void rankExactlyMaxIsTheFirstWaiterAndWatchesEveryDeletionAhead() {
    assertEquals(WATCH_DELETIONS_AHEAD, Ranks.decide(1, 1, true));
    assertEquals(WATCH_DELETIONS_AHEAD, Ranks.decide(5, 5, true));
  }

  @Test
  void furtherBackWatchesOnlyItsPredecessor() {
    assertEquals(WATCH_PREDECESSOR, Ranks.decide(1, 1, false));
    assertEquals(WATCH_PREDECESSOR, Ranks.decide(5, 5, false));
  }
}
