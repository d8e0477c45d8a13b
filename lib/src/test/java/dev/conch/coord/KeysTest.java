package dev.conch.coord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conch.base.Failure;
import org.junit.jupiter.api.Test;

class KeysTest {
  @Test
  void layoutVersionOne() {
    Keys k = Keys.under("/conch");
    assertEquals("/conch/v1/elect/nightly-report/", k.office("nightly-report"));
    assertEquals("/conch/v1/sema/db.migrate/2/", k.sema("db.migrate", 2));
    assertEquals("/conch/v1/elect/o/694d9d1f", Keys.member(k.office("o"), 0x694d9d1fL));
    assertEquals("/x/y/v1/elect/o/", Keys.under("/x/y/").office("o"));
  }

  @Test
  void namesCannotReachAnotherNamesKeys() {
    Keys k = Keys.under("/conch");
    for (String bad :
        new String[] {
          "", "a/b", "..", ".hidden", "-x", "_x", "a b", "a\nb", "é", "x".repeat(129), null
        }) {
      Failure f = assertThrows(Failure.class, () -> k.office(bad), String.valueOf(bad));
      assertEquals(Failure.Kind.BAD_INPUT, f.kind);
    }
    assertEquals("/conch/v1/elect/" + "x".repeat(128) + "/", k.office("x".repeat(128)));
    assertEquals("/conch/v1/elect/A.b_c-9/", k.office("A.b_c-9"));
  }

  @Test
  void prefixMustBeAnAbsolutePath() {
    for (String bad : new String[] {"conch", "", "/", "//", "/a//b", "/a b", "/a/../b/"}) {
      assertThrows(Failure.class, () -> Keys.under(bad), bad);
    }
  }
}
