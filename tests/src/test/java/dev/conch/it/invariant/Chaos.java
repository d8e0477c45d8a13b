package dev.conch.it.invariant;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Fence;
import dev.conch.it.support.Procs;
import io.etcd.jetcd.Client;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * One run of the harness: K wrappers contend for N slots while the schedule's faults land, the
 * observer records, and once the faults' effects are over the checker judges. Every failure names
 * the seed and the command that replays its fault schedule.
 */
final class Chaos {
  final String tool;
  final int max;
  final int contenders;
  final long seed;
  final long faultMs;
  final Conch conch;
  private final EtcdFixture etcd;
  private final ScheduledExecutorService background = Executors.newScheduledThreadPool(2);
  private final Wrappers wrappers;
  private final Observer observer;
  private final Faults faults;

  Chaos(EtcdFixture etcd, String tool, int max, int contenders, long seed, long faultMs) {
    this.etcd = etcd;
    this.tool = tool;
    this.max = max;
    this.contenders = contenders;
    this.seed = seed;
    this.faultMs = faultMs;
    // the children's guarded writes use etcdctl
    this.conch = Fence.etcdctl(new Conch(etcd.endpoint()), etcd.endpoint());
    Path log = conch.file("intervals");
    this.wrappers = new Wrappers(conch, tool, max, seed, log);
    this.observer = new Observer(log);
    this.faults = new Faults(etcd.endpoint(), observer, background);
  }

  String why(String what) {
    return "seed "
        + seed
        + " (replay: mvn -B -ntp -pl tests test-compile surefire:test@default-test"
        + " -Dtest=InvariantIT -Dconch.seed="
        + seed
        + " -Dconch.chaos.ms="
        + faultMs
        + " -Dsurefire.failIfNoSpecifiedTests=false): "
        + tool
        + ": "
        + what
        + "\nfaults: "
        + faults.applied;
  }

  void run() {
    try (Client client = etcd.server().client();
        observer) {
      String prefix = conch.prefix + "/";
      observer.start(client, prefix, background);
      Checker checker = new Checker(this, observer, faults);
      for (int i = 0; i < contenders; i++) wrappers.spawn(i);
      faults.inject(Schedule.faults(seed, faultMs));
      // every pending CONT sent, every lost lease expired and its child gone
      Procs.nap(Faults.LONG_PAUSE_MS + Wrappers.TTL_MS + Wrappers.KILL_AFTER_MS + 2000);
      long settled = Observer.now();
      checker.awaitConvergence(client, prefix);
      wrappers.stopRespawning();
      List<Integer> finalExits = wrappers.exits(contenders);
      observer.read();
      checker.check(settled, finalExits);
    } catch (Throwable e) {
      throw new AssertionError(why(String.valueOf(e.getMessage())), e);
    } finally {
      wrappers.stopRespawning();
      background.shutdownNow();
      wrappers.destroy();
    }
  }
}
