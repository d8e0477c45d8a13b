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
    String added) {

  public static final int MAX_KEEP = 1000;
  public static final int DEFAULT_KEEP = 20;
  public static final List<String> OVERLAPS = List.of("skip", "allow");

  /**
   * A stored job without {@code keep} (another writer left it out) keeps the default history, not
   * none.
   */
  public Job {
    if (keep == 0) keep = DEFAULT_KEEP;
  }

  /** This job as added by {@code who}. */
  public Job by(String who) {
    return new Job(job, schedule, tz, timeout, overlap, keep, cmd, who, added);
  }

  public Schedule parsedSchedule() {
    return Schedule.parse(schedule, tz);
  }

  public Duration timeoutDuration() {
    return timeout == null ? null : Durations.parse(timeout);
  }

  public boolean skipsOverlap() {
    return !"allow".equals(overlap);
  }
}
