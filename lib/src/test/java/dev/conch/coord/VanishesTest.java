package dev.conch.coord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class VanishesTest {
  static final Duration D = Duration.ofMillis(1500);
  static final long MS = 1_000_000;
  static final String HOLDER = Holder.self(List.of("x"), 2, 0xabc).toJson();

  @Test
  void aCleanReleaseHandsOverAtOnce() {
    Vanishes v = new Vanishes();
    v.vanished("/p/abc", Holder.markReleased(HOLDER), 100 * MS);
    Vanishes.Start s = v.decide(D, 101 * MS);
    assertEquals(101 * MS, s.notBeforeNanos());
    assertEquals(Duration.ZERO, s.delay());
    assertNull(s.why(), "no delay is claimed");
  }

  @Test
  void anUnmarkedVanishWaitsTheDelayFromWhenItWasObserved() {
    Vanishes v = new Vanishes();
    v.vanished("/p/abc", HOLDER, 100 * MS);
    Vanishes.Start s = v.decide(D, 300 * MS);
    assertEquals(1600 * MS, s.notBeforeNanos());
    assertEquals(Duration.ofMillis(1300), s.delay());
    assertTrue(s.why().contains("abc") && s.why().contains("1500ms"), s.why());
  }

  @Test
  void theLastUncleanVanishCountsAndCleanOnesDoNotShortenIt() {
    Vanishes v = new Vanishes();
    v.vanished("/p/a", HOLDER, 100 * MS);
    v.vanished("/p/b", "", 400 * MS); // no value: a key conch did not write, or a missing prevKV
    v.vanished("/p/c", Holder.markReleased(HOLDER), 500 * MS);
    assertEquals(1900 * MS, v.decide(D, 500 * MS).notBeforeNanos());
  }

  @Test
  void unknownHistoryIsUncleanAtTheMomentNoticed() {
    Vanishes v = new Vanishes();
    v.vanished("/p/", null, 200 * MS);
    Vanishes.Start s = v.decide(D, 200 * MS);
    assertEquals(1700 * MS, s.notBeforeNanos());
    assertTrue(s.why().contains("unknown"), s.why());
  }

  @Test
  void aVanishLongerAgoThanTheDelayNoLongerWaits() {
    Vanishes v = new Vanishes();
    v.vanished("/p/a", HOLDER, 100 * MS);
    assertNull(v.decide(D, 1600 * MS).why());
    assertNull(v.decide(Duration.ZERO, 100 * MS).why(), "--lock-delay 0s: never waits");
  }

  @Test
  void aLookThatGaveTheTurnToNobodyForgetsWhatVanishedBefore() {
    Vanishes v = new Vanishes();
    v.vanished("/p/a", HOLDER, 100 * MS);
    assertTrue(v.saw("/p/a"));
    v.forget();
    assertTrue(!v.saw("/p/a"));
    assertNull(v.decide(D, 200 * MS).why());
  }

  @Test
  void theMarkIsAFieldOlderReadersIgnore() {
    String marked = Holder.markReleased(HOLDER);
    assertTrue(Holder.released(marked));
    assertEquals(Holder.parse(HOLDER, 5), Holder.parse(marked, 5));
    for (String junk : new String[] {null, "", "not json", "[1]", "{\"released\":\"true\"}"})
      assertTrue(!Holder.released(junk), "not a mark: " + junk);
    assertNotNull(Holder.markReleased("not json"));
  }
}
