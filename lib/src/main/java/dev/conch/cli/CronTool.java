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
import dev.conch.cron.Run;
import dev.conch.cron.Table;
import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.Client;
import java.time.Instant;
import java.util.ArrayList;
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

  public static int add(ConnectionOptions conn, String job, JobOptions opts, List<String> cmd) {
    return Tool.guarded(
        Log.text("cron", job),
        () -> {
          Keys keys = conn.keys();
          keys.cronJob(job);
          Job j = opts.job(job, cmd);
          Connection c = conn.connection();
          // who, as far as this host can tell: the OS account, and the etcd user that etcd
          // authenticated
          String by =
              System.getProperty("user.name")
                  + "@"
                  + Host.name()
                  + (c.user() == null ? "" : " (etcd user " + c.user() + ")");
          try (Client client = Etcd.connect(c)) {
            new Table(client, keys, c.dialTimeout()).put(j.by(by));
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
            List<Job> jobs =
                table.jobs(unreadable).stream()
                    .filter(j -> job == null || j.job().equals(job))
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
            for (Job j : jobs)
              rows.add(row(j, table.runs(j.job(), job == null ? SHOWN_RUNS : j.keep()), live, now));
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
  private static Map<String, Object> row(Job j, List<Run> runs, Set<String> live, Instant now) {
    Map<String, Object> o = Json.fields(j);
    o.put("next", j.parsedSchedule().next(now).toString());
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
          "%s  %s (%s)  next %s  overlap %s, keep %s%s: %s%n",
          o.get("job"),
          o.get("schedule"),
          o.get("tz"),
          o.get("next"),
          o.get("overlap"),
          o.get("keep"),
          o.get("timeout") == null ? "" : ", timeout " + o.get("timeout"),
          Text.printable(Allow.commandLine(asStrings(o.get("cmd")))));
      System.out.printf(
          "  added by %s at %s%n",
          Text.printable(String.valueOf(o.get("added_by"))),
          Text.printable(String.valueOf(o.get("added"))));
      for (Object x : (List<?>) o.get("runs")) {
        Map<?, ?> r = (Map<?, ?>) x;
        System.out.println(
            Text.printable(
                String.format(
                    "  %s  %-7s %s%s",
                    r.get("tick"),
                    r.get("state"),
                    r.get("exit") == null ? "" : "exit " + r.get("exit") + "  ",
                    r.get("host") + " (daemon " + r.get("daemon") + ")")));
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
