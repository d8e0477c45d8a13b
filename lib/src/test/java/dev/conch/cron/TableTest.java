package dev.conch.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.conch.coord.Holder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {
  @Test
  void aDaemonsRegistrationIsAHolderThatAlsoSaysItsMaxLateness() {
    Holder me = Holder.self(List.of("conch", "daemon"), 10, 0xabcL);
    String json = Table.registration(me, Duration.ofSeconds(90));
    assertEquals(me.withRev(3), Holder.parse(json, 3), "holder readers ignore the new field");
    assertEquals(Duration.ofSeconds(90), Table.publishedLateness(json));
  }

  @Test
  void anOlderDaemonOrJunkPublishesNoLateness() {
    assertNull(Table.publishedLateness(Holder.self(List.of("conch"), 10, 1).toJson()));
    assertNull(Table.publishedLateness("not json"));
    assertNull(Table.publishedLateness("{\"max_lateness\":\"soon\"}"));
    assertNull(Table.publishedLateness("{\"max_lateness\":7}"));
  }

  @Test
  void theHorizonIsTheLatenessPlusTwiceTheClockSkew() {
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    assertEquals(Instant.parse("2026-11-24T09:57:50Z"), Table.horizon(now, Duration.ofSeconds(10)));
  }
}
