package dev.conch.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DepartedTest {
  static final long MS = 1_000_000;

  @Test
  void aVanishSeenByTheWatchLingersForTheDelayFromWhenItWasSeen() {
    Departed d = new Departed(Duration.ofMillis(1500));
    d.watching(Set.of("a", "b"), 0);
    d.vanished("a", 100 * MS);
    assertEquals(Set.of("a"), d.lingering(Set.of("a"), 1599 * MS));
    assertEquals(Set.of(), d.lingering(Set.of("a"), 1600 * MS), "a zombie after that");
  }

  @Test
  void anOldCrashFirstCheckedLongAfterLingersNoMore() {
    // an hourly job's next tick is its next overlap check: it must not be skipped for a crash that
    // the watch saw long before (the first version dated the vanish at that check)
    Departed d = new Departed(Duration.ofMillis(1500));
    d.watching(Set.of("a"), 0);
    d.vanished("a", 100 * MS);
    assertEquals(Set.of(), d.lingering(Set.of("a"), 3_600_000 * MS));
  }

  @Test
  void whatTheWatchCannotDateCountsFromTheLatestMomentItMayHaveHappened() {
    Departed d = new Departed(Duration.ofMillis(1500));
    assertEquals(Set.of("x"), d.lingering(Set.of("x"), 9000 * MS), "no watch yet: from now");
    d.watching(Set.of("a"), 10_000 * MS);
    assertEquals(
        Set.of("x"),
        d.lingering(Set.of("x"), 11_000 * MS),
        "gone before the watch: from its start");
    assertEquals(Set.of(), d.lingering(Set.of("x"), 11_500 * MS));
    assertEquals(
        Set.of("a"), d.lingering(Set.of("a"), 20_000 * MS), "live at the start, unseen: from now");
    d.blind();
    assertEquals(Set.of("x"), d.lingering(Set.of("x"), 30_000 * MS), "blind: from now");
  }

  @Test
  void longGoneVanishesAreForgottenAndStayDatedOld() {
    Departed d = new Departed(Duration.ofMillis(1500));
    d.watching(Set.of("a", "b"), 0);
    d.vanished("a", 100 * MS);
    d.vanished("b", 5000 * MS); // forgets a, seen more than the delay before
    assertEquals(Set.of(), d.lingering(Set.of("a"), 5001 * MS));
    assertEquals(Set.of("b"), d.lingering(Set.of("b"), 5001 * MS));
  }

  @Test
  void noDelayNoLinger() {
    Departed d = new Departed(Duration.ZERO);
    assertEquals(Set.of(), d.lingering(Set.of("a"), 0));
  }
}
