package dev.conch.coord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
