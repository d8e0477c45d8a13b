package dev.conch.cli;

import dev.conch.base.ExitCode;
import dev.conch.base.Host;
import dev.conch.base.Json;
import dev.conch.base.Log;
import dev.conch.base.Text;
import dev.conch.coord.Holder;
import dev.conch.coord.Keys;
import dev.conch.cron.Allow;
import dev.conch.cron.Daemon;
import dev.conch.cron.Job;
import dev.conch.cron.Pause;
import dev.conch.cron.Run;
import dev.conch.cron.Table;
import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.Client;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code conch cron add|ls|rm} and {@code conch daemon}: what the cron script calls once picocli
 * has parsed.
 */
public final class CronTool {
  /**
   * Runs per job in {@code cron ls}; {@code cron ls JOB} shows all the job keeps, so that a zombie
   * does not scroll out of sight five ticks later.
   */
  private static final int SHOWN_RUNS = 5;

  private CronTool() {}

  /**
   * Who edits the table, as far as this host can tell: the OS account, and the etcd user that etcd
   * authenticated.
   */
  static String who(Connection c) {
    return System.getProperty("user.name")
        + "@"
        + Host.name()
        + (c.user() == null ? "" : " (etcd user " + c.user() + ")");
  }

  public static int add(ConnectionOptions conn, String job, JobOptions opts, List<String> cmd) {
    Log log = Log.text("cron", job);
    return Tool.guarded(
        log,
        () -> {
          Keys keys = conn.keys();
          keys.cronJob(job);
          Job j = opts.job(job, cmd);
          Connection c = conn.connection();
          try (Client client = Etcd.connect(c)) {
            if (new Pause(client, keys, c.dialTimeout()).put(j.by(who(c))))
              log.always("paused", "replaced; the job stays paused until cron resume");
          }
          return ExitCode.OK;
        });
  }

  public static int rm(ConnectionOptions conn, String job) {
    Log log = Log.text("cron", job);
    return Tool.guarded(
        log,
        () -> {
          Keys keys = conn.keys();
          keys.cronJob(job);
          Connection c = conn.connection();
          try (Client client = Etcd.connect(c)) {
            if (new Table(client, keys, c.dialTimeout()).remove(job)) return ExitCode.OK;
          }
          log.always("error", "no such job", "exit", ExitCode.NOTHING);
          return ExitCode.NOTHING;
        });
  }

  public static int ls(ConnectionOptions conn, String job, boolean json) {
    Log log = Log.text("cron", job == null ? "ls" : job);
    return Tool.guarded(
        log,
        () -> {
          Keys keys = conn.keys();
          if (job != null) keys.cronJob(job);
          Connection c = conn.connection();
          try (Client client = Etcd.connect(c)) {
            Table table = new Table(client, keys, c.dialTimeout());
            List<String> unreadable = new ArrayList<>();
            List<Pause.Paused> every = new ArrayList<>();
            table.jobs(unreadable).forEach(j -> every.add(new Pause.Paused(j, null)));
            every.addAll(new Pause(client, keys, c.dialTimeout()).list(unreadable));
            List<Pause.Paused> jobs =
                every.stream()
                    .filter(p -> job == null || p.job().job().equals(job))
                    .sorted(Comparator.comparing(p -> p.job().job()))
                    .toList();
            unreadable.forEach(k -> log.always("error", "skipping " + k + ": unreadable job"));
            if (job != null && jobs.isEmpty()) {
              log.always("error", "no such job", "exit", ExitCode.NOTHING);
              return ExitCode.NOTHING;
            }
            List<Holder> daemons = table.daemons();
            Set<String> live = daemons.stream().map(Holder::lease).collect(Collectors.toSet());
            Instant now = Instant.now();
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Pause.Paused p : jobs) {
              Job j = p.job();
              int shown = job == null ? SHOWN_RUNS : j.keep();
              rows.add(row(j, p.mark(), table.runs(j.job(), shown), live, now));
            }
            if (json) {
              Map<String, Object> all = new LinkedHashMap<>();
              all.put("jobs", rows);
              all.put("daemons", daemons);
              System.out.println(Json.write(all));
            } else {
              print(rows, daemons);
            }
            return ExitCode.OK;
          }
        });
  }

  /**
   * One job as ls shows it: its spec, its next tick, and its recent runs with their shown states.
   */
  private static Map<String, Object> row(
      Job j, Pause.Mark paused, List<Run> runs, Set<String> live, Instant now) {
    Map<String, Object> o = Json.fields(j);
    o.put("paused", paused != null);
    if (paused == null) o.put("next", j.parsedSchedule().next(now).toString());
    else o.putAll(Json.fields(paused));
    List<Map<String, Object>> shown = new ArrayList<>();
    for (Run r : runs) {
      Map<String, Object> m = Json.fields(r);
      m.put("state", r.shownState(live, j.timeoutDuration(), now));
      shown.add(m);
    }
    o.put("runs", shown);
    return o;
  }

  private static void print(List<Map<String, Object>> rows, List<Holder> daemons) {
    for (Map<String, Object> o : rows) {
      System.out.printf(
          "%s  %s (%s)  %s  overlap %s, keep %s%s: %s%n",
          o.get("job"),
          o.get("schedule"),
          o.get("tz"),
          Boolean.TRUE.equals(o.get("paused"))
              ? Text.printable("PAUSED by " + o.get("paused_by") + " since " + o.get("paused_at"))
              : "next " + o.get("next"),
          o.get("overlap"),
          o.get("keep"),
          o.get("timeout") == null ? "" : ", timeout " + o.get("timeout"),
          Text.printable(Allow.commandLine(asStrings(o.get("cmd")))));
      System.out.printf(
          "  added by %s at %s%n",
          Text.printable(String.valueOf(o.get("added_by"))),
          Text.printable(String.valueOf(o.get("added"))));
      boolean failedShown = false; // the newest failed run's output, not every one's
      for (Object x : (List<?>) o.get("runs")) {
        Map<?, ?> r = (Map<?, ?>) x;
        List<?> attempts = r.get("attempts") instanceof List<?> l ? l : List.of();
        String said = "";
        if (!failedShown && Run.FAILED.equals(r.get("state")) && !attempts.isEmpty()) {
          failedShown = true;
          said = firstLine(((Map<?, ?>) attempts.get(attempts.size() - 1)).get("output"));
        }
        System.out.println(
            Text.printable(
                String.format(
                    "  %s  %-7s %s%s%s%s%s",
                    r.get("tick"),
                    r.get("state"),
                    r.get("exit") == null ? "" : "exit " + r.get("exit") + "  ",
                    r.get("host") + " (daemon " + r.get("daemon") + ")",
                    (r.get("manual") == null ? "" : "  manual, by " + r.get("requested_by"))
                        + (r.get("killed") == null ? "" : "  killed"),
                    attempts.size() > 1 ? "  " + attempts.size() + " attempts" : "",
                    said.isEmpty() ? "" : "  output: " + said)));
      }
    }
    System.out.println(
        Text.printable(
            "daemons: "
                + daemons.size()
                + (daemons.isEmpty()
                    ? ""
                    : " live: "
                        + daemons.stream()
                            .map(d -> d.host() + " pid " + d.pid() + " lease " + d.lease())
                            .collect(Collectors.joining(", ")))));
  }

  /** The first non-blank line of an output tail, cut to 60 characters. */
  static String firstLine(Object output) {
    if (!(output instanceof String s)) return "";
    String line = s.lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
    return line.length() > 60 ? line.substring(0, 60) + "…" : line;
  }

  private static List<String> asStrings(Object list) {
    return ((List<?>) list).stream().map(String::valueOf).toList();
  }

  public static int daemon(ConnectionOptions conn, LogOptions logs, DaemonOptions opts) {
    Log log = logs.log("daemon", Host.name());
    return Tool.guarded(
        log,
        () -> {
          Keys keys = conn.keys();
          Connection c = conn.connection();
          Daemon.Options options = opts.options(c.dialTimeout());
          try (Client client = Etcd.connect(c)) {
            return new Daemon(client, keys, options, log, opts.metrics).run();
          }
        });
  }
}
