package dev.conch.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DepartedTest {
  static final long MS = 1_000_000;

  @Test
  void aVanishedDaemonsRunsLingerForTheDelayFromWhenItWasFirstFoundGone() {
    Departed d = new Departed(Duration.ofMillis(1500));
    assertEquals(Set.of("a"), d.lingering("job", Set.of("a"), 100 * MS));
    assertEquals(Set.of("a"), d.lingering("job", Set.of("a"), 1599 * MS));
    assertEquals(Set.of(), d.lingering("job", Set.of("a"), 1600 * MS), "a zombie after that");
    assertEquals(Set.of(), d.lingering("job", Set.of("a"), 9000 * MS), "and stays one");
  }

  @Test
  void eachJobDatesItsOwnAndForgetsDaemonsItsRecordsNoLongerName() {
    Departed d = new Departed(Duration.ofMillis(1500));
    d.lingering("job", Set.of("a"), 100 * MS);
    assertEquals(Set.of("a"), d.lingering("other", Set.of("a"), 1000 * MS));
    assertEquals(Set.of(), d.lingering("job", Set.of(), 1100 * MS));
    assertEquals(
        Set.of("a"), d.lingering("job", Set.of("a"), 1200 * MS), "forgotten: dated anew, safe");
  }

  @Test
  void noDelayNoLinger() {
    assertEquals(Set.of(), new Departed(Duration.ZERO).lingering("job", Set.of("a"), 0));
  }
}
