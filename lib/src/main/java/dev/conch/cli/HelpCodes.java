package dev.conch.cli;

import java.util.Map;

/**
 * The exit codes each help page lists: contract section 5 as it applies to the command, each
 * meaning written once and refined per command.
 */
final class HelpCodes {
  private HelpCodes() {}

  // contract section 5, each meaning written once; the per-command tables below pick and refine
  // them
  private static final String[] CHILD = {
    "CMD's", "CMD ran and ended by itself: its status (128+N: signal N)"
  };
  private static final String[] USAGE = {
    "64", "usage error: bad option, name, duration or schedule; nothing was written"
  };
  private static final String[] UNAVAILABLE = {"69", "etcd unreachable within --dial-timeout"};
  private static final String[] LEASE_LOST = {
    "70", "the lease was lost while holding; CMD was terminated"
  };
  private static final String[] CANNOT_LISTEN = {
    "71", "conchd --metrics: cannot listen there (port taken, not this host's address)"
  };
  private static final String[] NOT_ACQUIRED = {
    "75", "not acquired: --nonblock found no free slot, or --timeout passed"
  };
  private static final String[] REFUSED = {"77", "etcd refused: authentication or permission"};
  private static final String[] INTERNAL = {
    "99", "internal error: a bug in conch (not 70); the line says what, please report it"
  };
  private static final String[] SIGNALLED = {
    "129,130,143", "SIGHUP, SIGINT, SIGTERM while waiting: withdrew, CMD never ran"
  };

  /** Exit codes by command name. */
  private static final Map<String, String[][]> CODES =
      Map.of(
          "conch",
              new String[][] {
                CHILD,
                {"0", "a query or admin command succeeded"},
                {"1", "a query found nothing: --who on a vacant office, an unknown job"},
                USAGE,
                UNAVAILABLE,
                LEASE_LOST,
                CANNOT_LISTEN,
                NOT_ACQUIRED,
                REFUSED,
                INTERNAL,
                SIGNALLED
              },
          "elect",
              new String[][] {
                CHILD,
                {"0", "--who: printed the leader"},
                {"1", "--who: nobody leads (nothing on stdout)"},
                USAGE,
                UNAVAILABLE,
                LEASE_LOST,
                NOT_ACQUIRED,
                REFUSED,
                INTERNAL,
                SIGNALLED
              },
          "sema",
              new String[][] {
                CHILD,
                {"0", "--who: printed the holders"},
                {"1", "--who: nobody holds (nothing on stdout)"},
                USAGE,
                UNAVAILABLE,
                LEASE_LOST,
                NOT_ACQUIRED,
                REFUSED,
                INTERNAL,
                SIGNALLED
              },
          "cron",
              new String[][] {
                {"0", "done; conchd: stopped by a signal, its running jobs ended"},
                {"1", "no such JOB; kill: nothing going"},
                USAGE,
                UNAVAILABLE,
                {"70", "run --wait: the daemon running it vanished (a zombie, never rerun)"},
                {"75", "run: no daemon took it within --timeout; kill: a run still going"},
                REFUSED,
                INTERNAL
              },
          "add",
              new String[][] {
                {"0", "JOB added, or replaced"}, USAGE, UNAVAILABLE, REFUSED, INTERNAL
              },
          "ls",
              new String[][] {
                {"0", "printed"}, {"1", "no such JOB"}, USAGE, UNAVAILABLE, REFUSED, INTERNAL
              },
          "rm",
              new String[][] {
                {"0", "JOB removed"}, {"1", "no such JOB"}, USAGE, UNAVAILABLE, REFUSED, INTERNAL
              },
          "daemon",
              new String[][] {
                {
                  "0",
                  "stopped by SIGTERM, SIGINT or SIGHUP: claims stopped, running jobs ended, lease released"
                },
                USAGE,
                {
                  "69",
                  "etcd unreachable at start within --dial-timeout (later outages: it registers again)"
                },
                CANNOT_LISTEN,
                REFUSED,
                INTERNAL
              },
          "completion",
              new String[][] {{"0", "printed the script"}, {"64", "no such shell: only bash"}});

  private static final String[] CHILD_WAITED = {
    "CMD's", "--wait: the run's status (128+N: signal N)"
  };

  /** The verbs of contract section 8b (Map.of takes ten entries at most). */
  private static final Map<String, String[][]> VERBS =
      Map.of(
          "run",
              new String[][] {
                CHILD_WAITED,
                {"0", "a daemon took the request (without --wait)"},
                {"1", "no such JOB"},
                USAGE,
                UNAVAILABLE,
                {"70", "--wait: the daemon running it vanished (a zombie, never rerun)"},
                {"75", "no daemon took it within --timeout (withdrawn); --wait: skipped"},
                REFUSED,
                INTERNAL
              },
          "pause",
              new String[][] {
                {"0", "paused (or it was)"},
                {"1", "no such JOB"},
                USAGE,
                UNAVAILABLE,
                REFUSED,
                INTERNAL
              },
          "resume",
              new String[][] {
                {"0", "resumed (or it was not paused)"},
                {"1", "no such JOB"},
                USAGE,
                UNAVAILABLE,
                REFUSED,
                INTERNAL
              },
          "kill",
              new String[][] {
                {"0", "every run that was going has ended"},
                {"1", "no such JOB, or nothing going"},
                USAGE,
                UNAVAILABLE,
                {"75", "a run still going after --timeout (an older conchd ignores kill)"},
                REFUSED,
                INTERNAL
              },
          "output",
              new String[][] {
                {"0", "printed the output tail"},
                {"1", "no such JOB, or that run has no output stored"},
                USAGE,
                UNAVAILABLE,
                REFUSED,
                INTERNAL
              });

  /** The command's codes; a command not named here shows the whole table of section 5. */
  static String[][] of(String command) {
    return VERBS.getOrDefault(command, CODES.getOrDefault(command, CODES.get("conch")));
  }
}
