package dev.conch.cron;

import dev.conch.base.Log;
import dev.conch.etcd.Etcd;
import java.time.Duration;
import java.time.Instant;

/**
 * Keeps each job's history bounded ({@link Table#trim}). Every claim trims once its run has
 * started, or right after a skipped or missed claim, so a long run does not hold the trim back and
 * the trim's round trips are not in a run's lateness; a failed trim only waits for the next claim.
 */
final class Trim {
  private final Table table;
  private final Duration maxLateness;
  private final Metrics metrics;

  Trim(Table table, Duration maxLateness, Metrics metrics) {
    this.table = table;
    this.maxLateness = maxLateness;
    this.metrics = metrics;
  }

  void history(Job job, Log runLog) {
    try {
      table.trim(job, Instant.now(), maxLateness);
    } catch (RuntimeException e) {
      metrics.etcdError("trim");
      runLog.always("error", Etcd.failure(e, "trimming its history").getMessage());
    }
  }
}
