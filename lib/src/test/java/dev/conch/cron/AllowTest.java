package dev.conch.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Failure;
import java.util.List;
import org.junit.jupiter.api.Test;

class AllowTest {
  @Test
  void noPatternAllowsEverything() {
    assertTrue(Allow.of(null).allows(List.of("rm", "-rf", "/")));
    assertTrue(Allow.of(List.of()).everything());
  }

  @Test
  void oneStarStaysInItsDirectory() {
    Allow a = Allow.of(List.of("/opt/jobs/*"));
    assertTrue(a.allows(List.of("/opt/jobs/purge.sh")));
    assertTrue(a.allows(List.of("/opt/jobs/purge.sh", "--all", "7")), "plain arguments");
    assertFalse(
        a.allows(List.of("/opt/jobs/../../bin/sh", "-c", "id")), "no way out of the directory");
    assertFalse(
        a.allows(List.of("/opt/jobs/purge.sh", "/etc/shadow")), "no path argument with one star");
    assertTrue(
        a.allows(List.of("/opt/jobs/purge.sh", "a; id")),
        "an argument, never a shell line: purge.sh gets it as one argument");
    assertFalse(a.allows(List.of("bash", "-c", "/opt/jobs/purge.sh")));
    assertFalse(a.allows(List.of("/opt/jobsx/purge.sh")));
  }

  @Test
  void twoStarsCrossSlashesAndQuotedArgumentsAreUnambiguous() {
    assertTrue(
        Allow.of(List.of("/opt/jobs/report.sh **"))
            .allows(List.of("/opt/jobs/report.sh", "/srv/out", "x y")));
    assertEquals(
        "/bin/echo 'a b' '' 'it'\\''s'",
        Allow.commandLine(List.of("/bin/echo", "a b", "", "it's")));
    Allow exact = Allow.of(List.of("/bin/echo 'a b'"));
    assertTrue(exact.allows(List.of("/bin/echo", "a b")));
    assertFalse(
        exact.allows(List.of("/bin/echo", "a", "b")), "two arguments are not one with a space");
    assertTrue(Allow.of(List.of("/usr/bin/backup-?")).allows(List.of("/usr/bin/backup-1")));
    assertTrue(Allow.of(List.of("a", "b")).allows(List.of("b")), "any pattern of several");
  }

  @Test
  void aBlankPatternIsAUsageError() {
    assertEquals(
        Failure.Kind.BAD_INPUT, assertThrows(Failure.class, () -> Allow.of(List.of(" "))).kind);
  }
}
