package dev.conch.coord;

import dev.conch.base.Failure;
import dev.conch.base.Text;
import java.util.regex.Pattern;

/**
 * Key layout version 1 (contract section 3). Names are validated here so that no name can reach
 * another name's keys: a name never contains a slash.
 */
public final class Keys {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern PREFIX = Pattern.compile("(/(?!\\.\\.?(?:/|$))[A-Za-z0-9._-]+)+");

  private final String root;

  private Keys(String root) {
    this.root = root;
  }

  /** A key space under {@code prefix}, e.g. {@code /conch}; a trailing slash is ignored. */
  public static Keys under(String prefix) {
    String p =
        prefix.endsWith("/") && prefix.length() > 1
            ? prefix.substring(0, prefix.length() - 1)
            : prefix;
    if (!PREFIX.matcher(p).matches()) {
      throw Failure.badInput(
          "invalid prefix "
              + Text.quote(prefix)
              + ": use a path like /conch (letters, digits, . _ - between slashes)");
    }
    return new Keys(p + "/v1/");
  }

  public static String name(String kind, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw Failure.badInput(
          "invalid "
              + kind
              + " name "
              + Text.quote(name)
              + ": use 1-128 of A-Z a-z 0-9 . _ - starting with a letter or digit");
    }
    return name;
  }

  /** The directory of an office's candidates, ending in a slash. */
  public String office(String office) {
    return root + "elect/" + name("office", office) + "/";
  }

  /** The directory of a semaphore's contenders that agree on {@code max}, ending in a slash. */
  public String sema(String sema, int max) {
    return semaAll(sema) + max + "/";
  }

  /** The directory above every {@code max} of a semaphore, ending in a slash. */
  public String semaAll(String sema) {
    return root + "sema/" + name("semaphore", sema) + "/";
  }

  /** Where the cron table lives: one key per job, ending in a slash. */
  public String cronJobs() {
    return root + "cron/jobs/";
  }

  public String cronJob(String job) {
    return cronJobs() + name("job", job);
  }

  /** A job's run records, one per tick, ending in a slash. */
  public String cronRuns(String job) {
    return root + "cron/runs/" + name("job", job) + "/";
  }

  /** A tick's run record: 13 digits of epoch milliseconds, so that key order is tick order. */
  public String cronRun(String job, long tickMillis) {
    return cronRuns(job) + String.format("%013d", tickMillis);
  }

  /**
   * Paused jobs, one key per job, ending in a slash: out of {@code cron/jobs/}, so that a daemon of
   * a release without pause sees the job removed (contract section 3).
   */
  public String cronPausedJobs() {
    return root + "cron/paused/";
  }

  public String cronPaused(String job) {
    return cronPausedJobs() + name("job", job);
  }

  /** {@code cron run} requests, under one directory per job, ending in a slash. */
  public String cronRequests() {
    return root + "cron/requests/";
  }

  public String cronRequests(String job) {
    return cronRequests() + name("job", job) + "/";
  }

  /** A job's request, named by its instant as a run key is: the run's record key. */
  public String cronRequest(String job, long instantMillis) {
    return cronRequests(job) + String.format("%013d", instantMillis);
  }

  /** {@code cron kill} requests, under one directory per job, ending in a slash. */
  public String cronKills() {
    return root + "cron/kills/";
  }

  /** A kill request, on its requester's lease. */
  public String cronKill(String job, long lease) {
    return cronKills() + name("job", job) + "/" + leaseHex(lease);
  }

  /** Live conchd instances, each a key on its lease. */
  public String daemons() {
    return root + "daemons/";
  }

  /** A candidate's or contender's own key: its directory plus its lease in hex. */
  public static String member(String dir, long lease) {
    return dir + leaseHex(lease);
  }

  public static String leaseHex(long lease) {
    return Long.toHexString(lease);
  }
}
