package dev.conch.coord;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {
  static final Duration QUICK = Duration.ofMillis(10);

  @Test
  void doublesUpToTheCap() {
    Backoff b = new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(60));
    List<Long> got = new ArrayList<>();
    for (int i = 0; i < 7; i++) got.add(b.after(QUICK).toSeconds());
    assertEquals(List.of(1L, 2L, 4L, 8L, 10L, 10L, 10L), got);
  }

  @Test
  void resetsAfterAStableRun() {
    Backoff b = new Backoff(Duration.ofSeconds(60), Duration.ofSeconds(60));
    b.after(QUICK);
    b.after(QUICK);
    assertEquals(Duration.ofSeconds(4), b.after(QUICK));
    assertEquals(Duration.ofSeconds(1), b.after(Duration.ofSeconds(60)));
    assertEquals(Duration.ofSeconds(2), b.after(Duration.ofSeconds(59)));
  }

  @Test
  void capBelowOneSecondIsTheCap() {
    Backoff b = new Backoff(Duration.ofMillis(300), Duration.ofSeconds(60));
    assertEquals(Duration.ofMillis(300), b.after(QUICK));
    assertEquals(Duration.ofMillis(300), b.after(QUICK));
  }
}
