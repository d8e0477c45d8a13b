package dev.conch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conch.base.Durations;
import dev.conch.base.Failure;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void parsesTheContractsUnitsAndSums() {
    assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
    assertEquals(Duration.ofSeconds(5), Durations.parse("5s"));
    assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
    assertEquals(Duration.ofHours(1), Durations.parse("1h"));
    assertEquals(Duration.ofSeconds(90), Durations.parse("1m30s"));
    assertEquals(Duration.ZERO, Durations.parse("0s"));
  }

  @Test
  void rejectsAnythingElseAsUsage() {
    for (String bad :
        new String[] {
          "", "5", "s", "5 s", "-5s", "5d", "1.5s", "5S", "5sec", "9999999999s", null
        }) {
      Failure f = assertThrows(Failure.class, () -> Durations.parse(bad), String.valueOf(bad));
      assertEquals(Failure.Kind.BAD_INPUT, f.kind);
    }
  }

  @Test
  void formatsShortestAndSecondsForBash() {
    assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
    assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
    assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
    assertEquals("0s", Durations.format(Duration.ZERO));
    assertEquals("1.250", Durations.seconds(Duration.ofMillis(1250)));
    assertEquals("0.000", Durations.seconds(Duration.ofMillis(-5)));
  }
}
