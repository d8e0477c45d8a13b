///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// a small resident wrapper: serial GC, C1 only, a small starting heap, netty without pooled arenas (docs/performance.md)
//RUNTIME_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -XX:NewRatio=8 -Dio.netty.allocator.type=unpooled
//DEPS dev.conch:conch-lib:0.2.0
//DESCRIPTION conch cron: a crontab for the fleet; every tick runs once, on one conchd.

import dev.conch.cli.Cli;
import dev.conch.cli.ConnectionOptions;
import dev.conch.cli.CronTool;
import dev.conch.cli.CronVerbs;
import dev.conch.cli.DurationConverter;
import dev.conch.cli.DaemonOptions;
import dev.conch.cli.JobOptions;
import dev.conch.cli.LogOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "cron", mixinStandardHelpOptions = true,
    description = "Edit the fleet's cron table in etcd; conch daemon (conchd) on every host runs each tick once.",
    subcommands = {cron.Add.class, cron.Ls.class, cron.Rm.class, cron.Run.class, cron.Pause.class,
        cron.Resume.class, cron.Kill.class, cron.Output.class, cron.Daemon.class},
    footer = {"", "Example: conch cron add purge --schedule '*/5 * * * *' -- ./purge.sh"})
class cron {
  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Add JOB (or replace it): run CMD at every tick of SPEC, once in the fleet.",
      footer = {"", "SPEC: five-field cron (crontab(5)), @hourly @daily @weekly @monthly @yearly, or @every D (epoch-aligned).",
          "Example: conch cron add purge --schedule '@every 5m' --timeout 4m -- ./purge.sh"})
  static class Add implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB", description = "the job: [A-Za-z0-9][A-Za-z0-9._-]{0,127}") String job;
    @Parameters(index = "1..*", paramLabel = "CMD", description = "the command and its arguments, after --") List<String> cmd;
    @Mixin JobOptions opts;
    @Mixin ConnectionOptions conn;

    @Override
    public Integer call() {
      return CronTool.add(conn, job, opts, cmd);
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "Jobs, next ticks, recent runs and live daemons.",
      footer = {"", "Run states: running ok failed skipped missed zombie.", "Example: conch cron ls purge --json"})
  static class Ls implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "JOB", description = "only this job (default: all)") String job;
    @Option(names = "--json", description = "one JSON object {jobs:[…], daemons:[…]} (stable schema: README, JSON output)") boolean json;
    @Mixin ConnectionOptions conn;

    @Override
    public Integer call() {
      return CronTool.ls(conn, job, json);
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true,
      description = "Remove JOB: no tick is claimed after this; a running run finishes and keeps its result.",
      footer = {"", "Example: conch cron rm purge"})
  static class Rm implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB", description = "the job") String job;
    @Mixin ConnectionOptions conn;

    @Override
    public Integer call() {
      return CronTool.rm(conn, job);
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Run JOB now, once, on one daemon that allows it (paused or not; --overlap holds).",
      footer = {"", "The run sees CONCH_TICK (the request's instant) and CONCH_MANUAL=1; cron ls marks it manual.",
          "Exit: 0 once a daemon took it (with --wait: the run's status; 70 if its daemon vanished;",
          "75 if skipped), 75 if none took it within --timeout (withdrawn), 1 for an unknown JOB.",
          "Example: conch cron run purge --wait"})
  static class Run implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB", description = "the job") String job;
    @Option(names = "--wait", description = "wait for the run's end and exit with its status") boolean wait;
    @Option(names = "--timeout", paramLabel = "D", defaultValue = "30s", converter = DurationConverter.class,
        description = "withdraw the request if no daemon took it within D (default ${DEFAULT-VALUE})") Duration timeout;
    @Mixin ConnectionOptions conn;

    @Override
    public Integer call() {
      return CronVerbs.run(conn, job, wait, timeout);
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Pause JOB: from now on no daemon claims or records a tick of it; a going run goes on.",
      footer = {"", "Idempotent; cron add keeps a paused job paused; cron ls shows who paused it, since when.",
          "Example: conch cron pause purge"})
  static class Pause implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB", description = "the job") String job;
    @Mixin ConnectionOptions conn;

    @Override
    public Integer call() {
      return CronVerbs.pause(conn, job);
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "Resume JOB: its first tick after now is the first to run; no backlog of the pause.",
      footer = {"", "Idempotent.", "Example: conch cron resume purge"})
  static class Resume implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB", description = "the job") String job;
    @Mixin ConnectionOptions conn;

    @Override
    public Integer call() {
      return CronVerbs.resume(conn, job);
    }
  }

  @Command(name = "kill", mixinStandardHelpOptions = true,
      description = "SIGTERM every going run of JOB, on any daemon (SIGKILL after its --kill-after); wait for the ends.",
      footer = {"", "The record says failed, killed: true. Exit 0 once all ended, 1 if nothing was going,",
          "75 if some still run after --timeout (a conchd of an older release ignores cron kill).",
          "Example: conch cron kill purge"})
  static class Kill implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB", description = "the job") String job;
    @Option(names = "--timeout", paramLabel = "D", defaultValue = "30s", converter = DurationConverter.class,
        description = "how long to wait for the runs to end (default ${DEFAULT-VALUE})") Duration timeout;
    @Mixin ConnectionOptions conn;

    @Override
    public Integer call() {
      return CronVerbs.kill(conn, job, timeout);
    }
  }

  @Command(name = "output", mixinStandardHelpOptions = true,
      description = "Print the stored tail of a run's output: the newest finished run's, or --tick's.",
      footer = {"", "The last --output-tail bytes (cron add) of its last attempt's stdout and stderr, interleaved;",
          "control characters but line feeds and tabs are shown escaped (\\u001b). cron ls JOB --json has",
          "every attempt's. Exit: 0, 1 for an unknown JOB or no output stored.",
          "Example: conch cron output purge --tick 2026-01-01T00:05:00Z"})
  static class Output implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "JOB", description = "the job") String job;
    @Option(names = "--tick", paramLabel = "T", description = "that run's (its tick as cron ls shows it, or epoch ms)") String tick;
    @Mixin ConnectionOptions conn;

    @Override
    public Integer call() {
      return CronVerbs.output(conn, job, tick);
    }
  }

  @Command(name = "daemon", aliases = "conchd", mixinStandardHelpOptions = true,
      description = "conchd: run the cron table on this host, each tick on exactly one live daemon.",
      footer = {"", "SIGTERM: stop claiming, let running jobs finish for --grace, then terminate them; exit 0.",
          "Example: conch daemon --grace 30s      (systemd: contrib/systemd/conchd.service)"})
  static class Daemon implements Callable<Integer> {
    @Mixin DaemonOptions opts;
    @Mixin ConnectionOptions conn;
    @Mixin LogOptions logs;

    @Override
    public Integer call() {
      return CronTool.daemon(conn, logs, opts);
    }
  }

  public static void main(String... args) {
    Cli.main(new cron(), args);
  }
}
