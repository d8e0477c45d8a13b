package dev.conch.cron;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A tick's record at {@code cron/runs/<job>/<tick>}: first the claim ({@code running}), then the
 * result ({@code ok}, {@code failed}); or, claimed without running, {@code skipped} or {@code
 * missed}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Run(
    String tick,
    String state,
    String host,
    Long pid,
    String daemon,
    String started,
    String ended,
    @JsonProperty("exit") Integer exitCode,
    @JsonProperty("timed_out") Boolean timedOut,
    Boolean manual,
    @JsonProperty("requested_by") String requestedBy,
    Boolean killed,
    List<Attempt> attempts) {

  public static final String RUNNING = "running";
  public static final String OK = "ok";
  public static final String FAILED = "failed";
  public static final String SKIPPED = "skipped";
  public static final String MISSED = "missed";
  public static final String ZOMBIE = "zombie";

  /** A tick's record: neither manual nor killed. */
  public Run(
      String tick,
      String state,
      String host,
      Long pid,
      String daemon,
      String started,
      String ended,
      Integer exitCode,
      Boolean timedOut) {
    this(
        tick, state, host, pid, daemon, started, ended, exitCode, timedOut, null, null, null, null);
  }

  /**
   * The same claim as a {@code cron run} of {@code by}'s: {@code tick} is the request's instant.
   */
  public Run requested(String by) {
    return new Run(tick, state, host, pid, daemon, started, null, null, null, true, by, null, null);
  }

  /** The same tick, claimed without running: {@code skipped} or {@code missed}. */
  public Run as(String claimedState) {
    return new Run(
        tick,
        claimedState,
        host,
        null,
        daemon,
        started,
        null,
        null,
        null,
        manual,
        requestedBy,
        null,
        null);
  }

  /**
   * The result: the last of {@code attempts} (at least one) decides it; {@code killed}: by {@code
   * cron kill}, whatever the exit. {@code exit}, {@code ended} and {@code timed_out} are the last
   * attempt's, as a reader of the previous release expects them.
   */
  public Run finished(List<Attempt> attempts, boolean killed) {
    Attempt last = attempts.get(attempts.size() - 1);
    int exit = last.exitCode();
    boolean timedOut = Boolean.TRUE.equals(last.timedOut());
    return new Run(
        tick,
        exit == 0 && !killed ? OK : FAILED,
        host,
        pid,
        daemon,
        started,
        last.ended(),
        exit,
        timedOut ? true : null,
        manual,
        requestedBy,
        killed ? true : null,
        Attempt.fit(attempts));
  }

  /**
   * The state to show: a claim still {@code running} whose daemon is gone, or that outlived the
   * job's timeout, is a zombie. Nobody runs its tick again; it only says the result will never
   * come.
   */
  public String shownState(Set<String> liveDaemons, Duration timeout, Instant now) {
    if (!RUNNING.equals(state)) return state;
    if (daemon == null || !liveDaemons.contains(daemon)) return ZOMBIE;
    Instant since = instant(started);
    if (timeout != null
        && since != null
        && since.plus(timeout).plus(Duration.ofMinutes(1)).isBefore(now)) return ZOMBIE;
    return RUNNING;
  }

  /** A record someone else wrote may hold anything: an unreadable time is no time. */
  private static Instant instant(String text) {
    try {
      return text == null ? null : Instant.parse(text);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  /** A claim whose run is still going: its result is still to come. */
  /** The newest attempt, if the record has any (a run of the previous release has none). */
  public Attempt lastAttempt() {
    return attempts == null || attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
  }

  public boolean going(Set<String> liveDaemons, Duration timeout, Instant now) {
    return RUNNING.equals(shownState(liveDaemons, timeout, now));
  }
}
