package dev.conch.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Failure;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScheduleTest {
  /** spec | zone | after | the next ticks, as instants */
  @ParameterizedTest(name = "{0} in {1} after {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      */5 * * * *  | UTC | 2026-03-01T10:02:00Z | 2026-03-01T10:05:00Z 2026-03-01T10:10:00Z
      0 9 * * 1-5  | UTC | 2026-11-27T09:00:00Z | 2026-11-30T09:00:00Z 2026-12-01T09:00:00Z
      30 2 1 * *   | UTC | 2026-01-15T00:00:00Z | 2026-02-01T02:30:00Z 2026-03-01T02:30:00Z
      @hourly      | UTC | 2026-03-01T10:00:00Z | 2026-03-01T11:00:00Z 2026-03-01T12:00:00Z
      @daily       | Europe/Berlin | 2026-06-01T12:00:00Z | 2026-06-01T22:00:00Z 2026-06-02T22:00:00Z
      @weekly      | UTC | 2026-11-24T00:00:00Z | 2026-11-29T00:00:00Z 2026-12-06T00:00:00Z
      @monthly     | UTC | 2026-11-24T00:00:00Z | 2026-12-01T00:00:00Z 2027-01-01T00:00:00Z
      @yearly      | UTC | 2026-11-24T00:00:00Z | 2027-01-01T00:00:00Z 2028-01-01T00:00:00Z
      @every 1s    | UTC | 2026-11-24T00:00:00.400Z | 2026-11-24T00:00:01Z 2026-11-24T00:00:02Z
      @every 7s    | Asia/Tokyo | 1970-01-01T00:00:20Z | 1970-01-01T00:00:21Z 1970-01-01T00:00:28Z
      @every 1h    | America/New_York | 2026-03-08T06:30:00Z | 2026-03-08T07:00:00Z 2026-03-08T08:00:00Z
      # spring forward, New York: 02:00 EST -> 03:00 EDT on 2026-03-08 (07:00Z); 02:30 does not exist
      30 2 * * *   | America/New_York | 2026-03-07T12:00:00Z | 2026-03-08T07:00:00Z 2026-03-09T06:30:00Z
      */15 2 * * * | America/New_York | 2026-03-08T06:00:00Z | 2026-03-08T07:00:00Z 2026-03-09T06:00:00Z
      0 * * * *    | America/New_York | 2026-03-08T06:30:00Z | 2026-03-08T07:00:00Z 2026-03-08T08:00:00Z
      # fall back, New York: 02:00 EDT -> 01:00 EST on 2026-11-01 (06:00Z); 01:30 happens twice, runs once
      30 1 * * *   | America/New_York | 2026-10-31T12:00:00Z | 2026-11-01T05:30:00Z 2026-11-02T06:30:00Z
      30 1 * * *   | America/New_York | 2026-11-01T05:45:00Z | 2026-11-02T06:30:00Z 2026-11-03T06:30:00Z
      0 * * * *    | America/New_York | 2026-11-01T04:30:00Z | 2026-11-01T05:00:00Z 2026-11-01T07:00:00Z
      # spring forward, Berlin: 02:00 CET -> 03:00 CEST on 2026-03-29 (01:00Z)
      30 2 * * *   | Europe/Berlin | 2026-03-28T12:00:00Z | 2026-03-29T01:00:00Z 2026-03-30T00:30:00Z
      0 3 * * *    | Europe/Berlin | 2026-03-28T12:00:00Z | 2026-03-29T01:00:00Z 2026-03-30T01:00:00Z
      # fall back, Berlin: 03:00 CEST -> 02:00 CET on 2026-10-25 (01:00Z); 02:30 happens twice, runs once
      30 2 * * *   | Europe/Berlin | 2026-10-24T12:00:00Z | 2026-10-25T00:30:00Z 2026-10-26T01:30:00Z
      */30 2 * * * | Europe/Berlin | 2026-10-25T00:00:00Z | 2026-10-25T00:30:00Z 2026-10-26T01:00:00Z
      """)
  void nextTicks(String spec, String zone, String after, String expected) {
    Schedule s = Schedule.parse(spec, zone);
    List<String> got = new ArrayList<>();
    Instant t = Instant.parse(after);
    for (int i = 0; i < 2; i++) {
      t = s.next(t);
      got.add(t.toString());
    }
    assertEquals(List.of(expected.split(" ")), got);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      * * * *      | UTC
      61 * * * *   | UTC
      * * * * * *  | UTC
      @often       | UTC
      @every 0s    | UTC
      @every 1500ms | UTC
      @every       | UTC
      * * * * *    | Mars/Olympus
      * * * * *    | ''
      """)
  void invalidSpecsAndZonesAreUsageErrors(String spec, String zone) {
    Failure f = assertThrows(Failure.class, () -> Schedule.parse(spec, zone));
    assertEquals(Failure.Kind.BAD_INPUT, f.kind);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      @hourly      | Mars/Olympus | Unknown time-zone ID: Mars/Olympus
      @hourly      | +25:00       | Zone offset hours not in valid range
      61 * * * *   | UTC          | Value 61 not in range
      """)
  void aUsageErrorSaysTheParsersReason(String spec, String zone, String reason) {
    String said = assertThrows(Failure.class, () -> Schedule.parse(spec, zone)).getMessage();
    assertTrue(said.contains(reason), said);
  }
}
