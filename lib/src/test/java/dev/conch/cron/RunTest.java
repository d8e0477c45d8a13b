package dev.conch.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RunTest {
  static final Instant T = Instant.parse("2026-11-24T10:00:00Z");
  static final Run CLAIM =
      new Run(T.toString(), Run.RUNNING, "h", 7L, "abc", T.toString(), null, null, null);

  /** A run of one attempt that ended at {@code at}. */
  static Run end(Run claim, Instant at, int exit, boolean timedOut, boolean killed) {
    return claim.finished(
        List.of(new Attempt(1, T.toString(), at.toString(), exit, timedOut ? true : null, "", 0L)),
        killed);
  }

  @Test
  void theLastAttemptDecidesTheStateAndEveryAttemptIsKept() {
    Run r =
        CLAIM.finished(
            List.of(
                new Attempt(1, T.toString(), T.plusSeconds(1).toString(), 3, null, "no", 2L),
                new Attempt(
                    2,
                    T.plusSeconds(2).toString(),
                    T.plusSeconds(3).toString(),
                    0,
                    null,
                    "ok",
                    2L)),
            false);
    assertEquals(Run.OK, r.state());
    assertEquals(0, r.exitCode());
    assertEquals(T.plusSeconds(3).toString(), r.ended());
    assertEquals(List.of(3, 0), r.attempts().stream().map(Attempt::exitCode).toList());
    assertEquals("ok", r.lastAttempt().output());
  }

  @Test
  void aRunningClaimOfALiveDaemonIsRunning() {
    assertEquals(Run.RUNNING, CLAIM.shownState(Set.of("abc"), null, T.plusSeconds(3600)));
    assertEquals(
        Run.RUNNING, CLAIM.shownState(Set.of("abc"), Duration.ofMinutes(5), T.plusSeconds(300)));
  }

  @Test
  void aClaimWhoseDaemonIsGoneOrThatOutlivedItsTimeoutIsAZombie() {
    assertEquals(Run.ZOMBIE, CLAIM.shownState(Set.of("other"), null, T));
    assertEquals(
        Run.ZOMBIE,
        CLAIM.shownState(Set.of("abc"), Duration.ofMinutes(5), T.plusSeconds(5 * 60 + 61)));
  }

  @Test
  void finishedAndClaimedOnlyStatesAreShownAsStored() {
    Run ok = end(CLAIM, T.plusSeconds(2), 0, false, false);
    assertEquals(Run.OK, ok.shownState(Set.of(), null, T));
    assertNull(ok.timedOut());
    Run failed = end(CLAIM, T.plusSeconds(2), 143, true, false);
    assertEquals(Run.FAILED, failed.shownState(Set.of(), null, T));
    assertEquals(143, failed.exitCode());
    assertEquals(Run.SKIPPED, CLAIM.as(Run.SKIPPED).shownState(Set.of(), null, T));
    assertNull(CLAIM.as(Run.MISSED).pid());
  }

  @Test
  void onlyAClaimOfALiveDaemonWithinItsTimeoutIsGoing() {
    assertTrue(CLAIM.going(Set.of("abc"), null, T));
    assertFalse(
        CLAIM.going(Set.of(), null, T), "a zombie is not going: overlap skip must not wait for it");
    assertFalse(CLAIM.as(Run.SKIPPED).going(Set.of("abc"), null, T), "a skipped tick never ran");
    assertFalse(end(CLAIM, T, 0, false, false).going(Set.of("abc"), null, T));
  }

  @Test
  void aKilledRunIsFailedWhateverItsExitAndAManualOneSaysWhoAsked() {
    Run manual = CLAIM.requested("ann@h");
    Run killed = end(manual, T.plusSeconds(1), 0, false, true);
    assertEquals(Run.FAILED, killed.state());
    assertEquals(Boolean.TRUE, killed.killed());
    assertEquals(List.of(true, "ann@h"), List.of(killed.manual(), killed.requestedBy()));
    assertNull(end(CLAIM, T, 0, false, false).killed());
    assertEquals("ann@h", manual.as(Run.SKIPPED).requestedBy());
  }
}
