package dev.conch.it.invariant;

import dev.conch.it.support.Conch;
import dev.conch.it.support.Fence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The K competing wrapper processes, one per slot: a slot's wrapper is started again as soon as it
 * exits, until the run stops respawning. Each child logs its start to the shared log, and a witness
 * logs the moment its process group is gone; the child logs each of its guarded writes (W lines:
 * its token and etcdctl's answer) as it goes, the last one just before it exits.
 */
final class Wrappers {
  static final long TTL_MS = 2000;
  static final long KILL_AFTER_MS = 500;

  /**
   * conch's default --lock-delay, kill-after + 1 s: not passed, so the default is what is tested.
   */
  static final long LOCK_DELAY_MS = KILL_AFTER_MS + 1000;

  private final Conch conch;
  private final String tool;
  private final int max;
  private final long seed;
  private final Path log;

  /** Where the children's guarded writes go: outside the prefix, so no key of conch's. */
  private final String target;

  /** Each slot's current wrapper and generation; guarded by this, with {@code respawn}. */
  private final Map<Integer, Conch.Run> slots = new ConcurrentHashMap<>();

  private final Map<Integer, Integer> generations = new ConcurrentHashMap<>();
  private boolean respawn = true;

  Wrappers(Conch conch, String tool, int max, long seed, Path log) {
    this.conch = conch;
    this.tool = tool;
    this.max = max;
    this.seed = seed;
    this.log = log;
    this.target = conch.prefix + "-fenced";
  }

  /** A wrapper for slot {@code i}, its child as the schedule says. */
  synchronized void spawn(int i) {
    if (!respawn) return;
    int generation = generations.merge(i, 1, Integer::sum);
    Schedule.Child child = Schedule.child(seed, i, generation);
    List<String> args =
        new ArrayList<>(
            List.of(
                tool, "inv", "--ttl", TTL_MS / 1000 + "s", "--kill-after", KILL_AFTER_MS + "ms"));
    if (tool.equals("sema")) args.addAll(List.of("--max", Integer.toString(max)));
    args.addAll(
        List.of(
            "--",
            "bash",
            "-c",
            // a witness outside the group holds the read end of a pipe that every member
            // inherits: its EOF is the moment the last of them is gone, whoever killed it
            "exec 9> >(exec setsid bash -c 'read -r _; echo \"E $0 ${EPOCHREALTIME/./}000\" >> \"$1\"' \"$CONCH_REV\" '"
                + log
                + "'); read -r _ _ _ w _ < /proc/$PPID/stat;"
                + " echo \"S $CONCH_LEASE $CONCH_REV ${EPOCHREALTIME/./}000 $$ $w $2\" >> '"
                + log
                + "'; [ \"$2\" = 1 ] && trap '' TERM;"
                // guarded writes at the start, every 0.3 s, and at the end, each logged
                + (" f() { echo \"W $CONCH_REV $("
                    + Fence.shell(target)
                    + ")\" >> '"
                    + log
                    + "'; };")
                + " f; (while sleep 0.3; do f; done) & p=$!;"
                + " sleep \"$1\" & wait $!; wait $!; kill -9 $p; f",
            "child",
            child.seconds(),
            child.ignoresTerm() ? "1" : "0"));
    Conch.Run r = conch.start(args.toArray(String[]::new));
    slots.put(i, r);
    r.process().onExit().thenRun(() -> spawn(i));
  }

  synchronized void stopRespawning() {
    respawn = false;
  }

  /** The exit status of each of the first {@code n} slots' last wrapper, once it has exited. */
  List<Integer> exits(int n) {
    List<Integer> exits = new ArrayList<>();
    for (int i = 0; i < n; i++) exits.add(slots.get(i).exit(120_000));
    return exits;
  }

  void destroy() {
    slots.values().forEach(r -> r.process().destroyForcibly());
  }
}
