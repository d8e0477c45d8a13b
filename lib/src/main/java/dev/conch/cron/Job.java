package dev.conch.cron;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.conch.base.Durations;
import java.time.Duration;
import java.util.List;

/**
 * A job of the cron table, as stored at {@code cron/jobs/<job>}. {@code timeout} is null for none.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Job(
    String job,
    String schedule,
    String tz,
    String timeout,
    String overlap,
    int keep,
    List<String> cmd,
    @JsonProperty("added_by") String addedBy,
    String added,
    Integer retries,
    @JsonProperty("retry_delay") String retryDelay,
    @JsonProperty("output_tail") Integer outputTail) {

  public static final int MAX_KEEP = 1000;
  public static final int DEFAULT_KEEP = 20;
  public static final List<String> OVERLAPS = List.of("skip", "allow");
  public static final int MAX_RETRIES = 10;
  public static final String DEFAULT_RETRY_DELAY = "10s";
  public static final int DEFAULT_OUTPUT_TAIL = 4096;
  public static final int MAX_OUTPUT_TAIL = 65536;

  /** A job with neither retries nor an output tail of its own: the defaults. */
  public Job(
      String job,
      String schedule,
      String tz,
      String timeout,
      String overlap,
      int keep,
      List<String> cmd,
      String addedBy,
      String added) {
    this(job, schedule, tz, timeout, overlap, keep, cmd, addedBy, added, null, null, null);
  }

  /**
   * A stored job without {@code keep} (another writer left it out) keeps the default history, not
   * none.
   */
  public Job {
    if (keep == 0) keep = DEFAULT_KEEP;
  }

  /** This job as added by {@code who}. */
  public Job by(String who) {
    return new Job(
        job,
        schedule,
        tz,
        timeout,
        overlap,
        keep,
        cmd,
        who,
        added,
        retries,
        retryDelay,
        outputTail);
  }

  public Schedule parsedSchedule() {
    return Schedule.parse(schedule, tz);
  }

  public Duration timeoutDuration() {
    return timeout == null ? null : Durations.parse(timeout);
  }

  /** How many more times a failed run runs: 0 to {@link #MAX_RETRIES}, whatever etcd holds. */
  public int retryCount() {
    return retries == null ? 0 : Math.max(0, Math.min(MAX_RETRIES, retries));
  }

  /** The pause between attempts; what another writer left unreadable is the default. */
  public Duration retryDelayDuration() {
    try {
      return Durations.parse(retryDelay == null ? DEFAULT_RETRY_DELAY : retryDelay);
    } catch (RuntimeException e) {
      return Durations.parse(DEFAULT_RETRY_DELAY);
    }
  }

  /** The bytes of output each attempt keeps, within 0 to {@link #MAX_OUTPUT_TAIL}. */
  public int outputTailBytes() {
    return outputTail == null
        ? DEFAULT_OUTPUT_TAIL
        : Math.max(0, Math.min(MAX_OUTPUT_TAIL, outputTail));
  }

  public boolean skipsOverlap() {
    return !"allow".equals(overlap);
  }
}
