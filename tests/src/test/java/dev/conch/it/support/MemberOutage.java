package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One member of a cluster out for a while, stopped, killed or frozen (its clients' connections open
 * and silent), while something happens through the other members and the history is compacted to
 * the current revision; then back.
 */
public final class MemberOutage {
  private final EtcdServer cluster;
  private final int member;

  public MemberOutage(EtcdServer cluster, int member) {
    this.cluster = cluster;
    this.member = member;
  }

  /**
   * When the member was started again (or thawed) and when a health check of it first passed (wall
   * clock, ns, as commands log with {@code date +%s%N}). It answered in between: the check is an
   * etcdctl process polled every 100 ms, so a client may hear of the member before the check
   * returns (a negative figure after it), and a bound measured from the check is lenient by that.
   */
  public record Back(long relaunched, long answering) {
    @Override
    public String toString() {
      return "answering again " + (answering - relaunched) / 1_000_000 + " ms after its relaunch";
    }
  }

  /**
   * The member goes ({@code how}: stop, kill or freeze) for {@code millis}; meanwhile {@code
   * meanwhile} runs, then the history is compacted, both through the other members.
   */
  public Back during(String how, long millis, Runnable meanwhile) {
    long began = System.nanoTime();
    switch (how) {
      case "stop" -> cluster.stop(member);
      case "kill" -> cluster.kill(member);
      case "freeze" -> cluster.freeze(member);
      default -> throw new IllegalArgumentException(how);
    }
    meanwhile.run();
    compact();
    Procs.nap(Math.max(0, millis - (System.nanoTime() - began) / 1_000_000)); // the outage itself
    long relaunched = System.currentTimeMillis() * 1_000_000;
    if (how.equals("freeze")) cluster.thaw(member);
    else cluster.restart(member);
    return new Back(
        relaunched, how.equals("freeze") ? relaunched : System.currentTimeMillis() * 1_000_000);
  }

  /** Compacts the history to the current revision. */
  private void compact() {
    String rest = cluster.endpointsBut(member);
    Matcher m =
        Pattern.compile("\"revision\":(\\d+)")
            .matcher(Etcdctl.run(rest, "get", "/", "-w", "json").out());
    assertTrue(m.find(), "a revision");
    Procs.Result r = Etcdctl.run(rest, "compact", m.group(1), "--physical");
    assertEquals(0, r.code(), r.err());
  }

  /** Brings the member back from whatever a failed test left it in. */
  public void heal() {
    cluster.thaw(member);
    if (Etcdctl.run(cluster.member(member), "endpoint", "health").code() != 0)
      cluster.restart(member);
  }
}
