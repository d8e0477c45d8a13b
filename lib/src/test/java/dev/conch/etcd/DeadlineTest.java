package dev.conch.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeadlineTest {
  static final long S = 1_000_000_000L;

  @Test
  void sendTimePlusGrantedTtl() {
    Deadline d = new Deadline(100 * S, 10);
    assertEquals(10 * S, d.remainingNanos(100 * S));
    assertFalse(d.passed(110 * S - 1));
    assertTrue(d.passed(110 * S));
  }

  @Test
  void renewalCountsFromSendingNotFromTheAnswer() {
    Deadline d = new Deadline(0, 10);
    d.renew(3 * S, 10); // sent at 3 s, acknowledged whenever: deadline 13 s
    assertEquals(13 * S, d.remainingNanos(0));
  }

  @Test
  void aLateAnswerToAnOlderRequestNeverMovesItBack() {
    Deadline d = new Deadline(0, 10);
    d.renew(6 * S, 10);
    d.renew(3 * S, 10);
    assertEquals(16 * S, d.remainingNanos(0));
  }

  @Test
  void survivesNanoTimeWrapAround() {
    long near = Long.MAX_VALUE - 2 * S;
    Deadline d = new Deadline(near, 10);
    assertFalse(d.passed(near + 5 * S));
    assertTrue(d.passed(near + 10 * S));
  }
}
