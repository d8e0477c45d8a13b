package dev.conch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conch.base.Log;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogTest {
  private static Map<String, Object> fields(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  private static final Log.Event ACQUIRED =
      new Log.Event(
          Instant.parse("2026-11-24T10:00:00.123Z"),
          "elect",
          "web",
          "acquired",
          fields("rev", 123L, "lease", "694d7a1c3e2f"),
          "h1",
          4242,
          null);
  private static final Log.Event LOST =
      new Log.Event(
          Instant.parse("2026-11-24T10:00:05Z"),
          "elect",
          "web",
          "lost",
          fields("rev", 123L, "lease", "694d7a1c3e2f"),
          "h1",
          4242,
          "lease lost while holding (\"its key\" was deleted)");

  @Test
  void textIsTimeToolNameEventFieldsHostPidThenTheMessage() {
    assertEquals(
        "2026-11-24T10:00:00.123Z conch elect web: acquired rev=123 lease=694d7a1c3e2f host=h1 pid=4242",
        ACQUIRED.text());
    assertEquals(
        "2026-11-24T10:00:05.000Z conch elect web: lost rev=123 lease=694d7a1c3e2f host=h1 pid=4242: "
            + "lease lost while holding (\"its key\" was deleted)",
        LOST.text(),
        "milliseconds always, so lines sort and align");
  }

  @Test
  void jsonIsOneObjectInTheSameOrderMessageEscaped() {
    assertEquals(
        "{\"time\":\"2026-11-24T10:00:00.123Z\",\"tool\":\"elect\",\"name\":\"web\",\"event\":\"acquired\",\"rev\":123,"
            + "\"lease\":\"694d7a1c3e2f\",\"host\":\"h1\",\"pid\":4242}",
        ACQUIRED.json());
    assertEquals(
        "{\"time\":\"2026-11-24T10:00:05.000Z\",\"tool\":\"elect\",\"name\":\"web\",\"event\":\"lost\",\"rev\":123,"
            + "\"lease\":\"694d7a1c3e2f\",\"host\":\"h1\",\"pid\":4242,\"message\":\"lease lost while holding (\\\"its key\\\" was deleted)\"}",
        LOST.json());
  }
}
