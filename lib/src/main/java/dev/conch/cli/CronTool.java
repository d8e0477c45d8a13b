package dev.conch.cli;

import dev.conch.coord.Holder;
import dev.conch.coord.Json;
import dev.conch.coord.Keys;
import dev.conch.cron.Allow;
import dev.conch.cron.Daemon;
import dev.conch.cron.Job;
import dev.conch.cron.Run;
import dev.conch.cron.Schedule;
import dev.conch.cron.Table;
import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.Client;
import java.net.InetSocketAddress;
import java.time.Duration;
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

  public static int add(
      ConnectionOptions conn,
      String job,
      String schedule,
      String tz,
      Duration timeout,
      String overlap,
      int keep,
      List<String> cmd) {
    return Tool.guarded(
        Log.text("cron", job),
        () -> {
          Keys keys = conn.keys();
          keys.cronJob(job);
          Schedule s = Schedule.parse(schedule, tz);
          if (!Job.OVERLAPS.contains(overlap))
            throw Exit.usage("--overlap is skip or allow, not " + Exit.quote(overlap));
          if (keep < 1 || keep > Job.MAX_KEEP)
            throw Exit.usage("--keep must be from 1 to " + Job.MAX_KEEP + ", not " + keep);
          if (timeout != null && timeout.isZero())
            throw Exit.usage("--timeout must be more than 0s");
          List<String> command = Tool.command(cmd);
          Connection c = conn.connection();
          // who, as far as this host can tell: the OS account, and the etcd user that etcd
          // authenticated
          String by =
              System.getProperty("user.name")
                  + "@"
                  + Holder.hostname()
                  + (c.user() == null ? "" : " (etcd user " + c.user() + ")");
          Job j =
              new Job(
                  job,
                  s.spec(),
                  s.zone().getId(),
                  timeout == null ? null : Durations.format(timeout),
                  overlap,
                  keep,
                  command,
                  by,
                  Instant.now().toString());
          try (Client client = Etcd.connect(c)) {
            new Table(client, keys, c.dialTimeout()).put(j);
          }
          return Exit.OK;
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
            if (new Table(client, keys, c.dialTimeout()).remove(job)) return Exit.OK;
          }
          log.always("error", "no such job", "exit", Exit.NOTHING);
          return Exit.NOTHING;
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
              log.always("error", "no such job", "exit", Exit.NOTHING);
              return Exit.NOTHING;
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
            return Exit.OK;
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
          Exit.printable(Allow.commandLine(asStrings(o.get("cmd")))));
      System.out.printf(
          "  added by %s at %s%n",
          Exit.printable(String.valueOf(o.get("added_by"))),
          Exit.printable(String.valueOf(o.get("added"))));
      for (Object x : (List<?>) o.get("runs")) {
        Map<?, ?> r = (Map<?, ?>) x;
        System.out.println(
            Exit.printable(
                String.format(
                    "  %s  %-7s %s%s",
                    r.get("tick"),
                    r.get("state"),
                    r.get("exit") == null ? "" : "exit " + r.get("exit") + "  ",
                    r.get("host") + " (daemon " + r.get("daemon") + ")")));
      }
    }
    System.out.println(
        Exit.printable(
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

  /**
   * {@code metrics}: where to serve Prometheus text, or null for nowhere; {@code allow}: the
   * --allow globs.
   */
  public static int daemon(
      ConnectionOptions conn,
      LogOptions logs,
      Duration ttl,
      Duration killAfter,
      Duration maxLateness,
      Duration grace,
      InetSocketAddress metrics,
      List<String> allow) {
    Log log = logs.log("daemon", Holder.hostname());
    return Tool.guarded(
        log,
        () -> {
          Keys keys = conn.keys();
          if (ttl.toMillis() < 1000) throw Exit.usage("--ttl must be at least 1s");
          Allow allowed = Allow.of(allow);
          Connection c = conn.connection();
          try (Client client = Etcd.connect(c)) {
            return new Daemon(
                    client,
                    keys,
                    new Daemon.Options(
                        (ttl.toMillis() + 999) / 1000,
                        killAfter,
                        maxLateness,
                        grace,
                        c.dialTimeout(),
                        allowed),
                    log,
                    metrics)
                .run();
          }
        });
  }
}
