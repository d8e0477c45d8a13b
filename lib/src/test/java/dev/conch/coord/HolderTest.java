package dev.conch.coord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class HolderTest {
  @Test
  void storedWithoutRevReadBackWithIt() {
    Holder me = Holder.self(List.of("./report.sh", "--all"), 10, 0xabcL);
    String json = me.toJson();
    assertFalse(json.contains("\"rev\""), "rev is the key's create revision, not stored: " + json);
    for (String f : List.of("host", "pid", "user", "cmd", "started", "ttl", "lease", "version")) {
      assertTrue(json.contains("\"" + f + "\""), f + " in " + json);
    }
    Holder back = Holder.parse(json, 42);
    assertEquals(42L, back.rev());
    assertEquals(me.withRev(42), back);
    assertEquals("abc", back.lease());
    assertTrue(back.started().endsWith("Z"), "ISO-8601 UTC: " + back.started());
    assertNull(me.rev());
  }

  @Test
  void toleratesNewerFieldsAndReportsGarbage() {
    Holder newer = Holder.parse("{\"host\":\"h\",\"pid\":1,\"cmd\":[\"x\"],\"future\":true}", 7);
    assertEquals("h", newer.host());
    Holder junk = Holder.parse("not json", 9);
    assertEquals(9L, junk.rev());
    assertTrue(junk.describe().contains("rev 9"));
  }

  @Test
  void theMapperWritesAHolderInsideLargerJsonExactlyAsToJsonDoes() {
    Holder me = Holder.self(List.of("sh", "-c", "echo \"é\u0001\" \\ done"), 10, 0xabcL);
    Holder odd = new Holder(null, 7, "u", null, null, 0, "1", null, 3L);
    for (Holder h : List.of(me, me.withRev(42), odd)) assertEquals(Json.write(h), h.toJson());
  }

  @Test
  void readsWhatTheMapperReadsAndCallsUnreadableWhatItCannotRead() {
    List<String> readable =
        List.of(
            "{}",
            "{\"host\":\"h\",\"pid\":\"12\",\"cmd\":[\"a\",null],\"rev\":99,\"n\":{\"x\":[1,{}]}}",
            "{\"host\":5,\"user\":true,\"ttl\":10,\"cmd\":null,\"lease\":null} trailing",
            "{\"version\":\"0.1.0\",\"released\":true,\"started\":\"2026-12-06T10:00:00Z\"}");
    for (String json : readable)
      assertEquals(
          Json.read(json, Holder.class).orElseThrow().withRev(7), Holder.parse(json, 7), json);
    List<String> unreadable =
        List.of(
            "not json",
            "null",
            "[1]",
            "{\"pid\":\"twelve\"}",
            "{\"host\":{\"a\":1}}",
            "{\"cmd\":\"ls\"}",
            "{\"host\":\"h\"");
    for (String json : unreadable) {
      assertTrue(Json.read(json, Holder.class).isEmpty(), "the mapper cannot read " + json);
      assertEquals(Holder.UNREADABLE, Holder.parse(json, 7).version(), json);
    }
  }
}
