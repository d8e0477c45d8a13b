package dev.conch.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hosts of the test's own: network namespaces (iproute2's {@code ip netns}), each joined by a veth
 * pair to one bridge in ours, so that a process here reaches every host, and a host's link can be
 * cut and healed. A cut host keeps its own loopback: a process started inside it still reaches what
 * listens there on 127.0.0.1, as a client on the far side of a partition would. Names and the
 * subnet carry this JVM's pid, so that runs side by side do not meet; {@link #close()} removes
 * everything, and a shutdown hook does so if a test dies first.
 */
public final class Netns implements AutoCloseable {
  private final String tag;
  private final String subnet;
  private final int size;
  private final List<String> done = new ArrayList<>(); // what to delete, newest first
  private final Thread cleanup = new Thread(this::remove);

  private Netns(int size) {
    long pid = ProcessHandle.current().pid();
    this.tag = "cx" + (pid % 100_000);
    this.subnet = "10.231." + (pid % 250) + ".";
    this.size = size;
  }

  /** {@code size} hosts on a bridge of their own; fails loudly without {@code ip netns} (root). */
  public static Netns create(int size) {
    Netns n = new Netns(size);
    Runtime.getRuntime().addShutdownHook(n.cleanup);
    try {
      n.ip("link", "add", n.bridge(), "type", "bridge");
      n.done.add(0, "link del " + n.bridge());
      n.ip("addr", "add", n.subnet + "1/24", "dev", n.bridge());
      n.ip("link", "set", n.bridge(), "up");
      for (int i = 0; i < size; i++) n.host(i);
    } catch (RuntimeException e) {
      n.close();
      throw e;
    }
    return n;
  }

  private void host(int i) {
    String ns = name(i);
    ip("netns", "add", ns);
    done.add(0, "netns del " + ns);
    ip("link", "add", veth(i), "type", "veth", "peer", "name", veth(i) + "p");
    done.add(0, "link del " + veth(i));
    ip("link", "set", veth(i) + "p", "netns", ns);
    ip("link", "set", veth(i), "master", bridge());
    ip("link", "set", veth(i), "up");
    ip("-n", ns, "addr", "add", address(i) + "/24", "dev", veth(i) + "p");
    ip("-n", ns, "link", "set", veth(i) + "p", "up");
    ip("-n", ns, "link", "set", "lo", "up");
  }

  public int size() {
    return size;
  }

  /** Host {@code i}'s address, as the others and we reach it. */
  public String address(int i) {
    return subnet + (i + 2);
  }

  /** The words that run a command inside host {@code i}. */
  public List<String> in(int i) {
    return List.of("ip", "netns", "exec", name(i));
  }

  /** Cuts host {@code i} off from everyone (its link goes down); its loopback stays. */
  public void cut(int i) {
    ip("link", "set", veth(i), "down");
  }

  public void heal(int i) {
    ip("link", "set", veth(i), "up");
  }

  private String name(int i) {
    return tag + "-h" + i;
  }

  private String veth(int i) {
    return tag + "v" + i;
  }

  private String bridge() {
    return tag + "br";
  }

  private void ip(String... args) {
    List<String> cmd = Args.cat(List.of("ip"), List.of(args));
    Procs.Result r = Procs.run(cmd, Map.of());
    if (r.code() != 0)
      throw new IllegalStateException(
          String.join(" ", cmd) + " failed (network namespaces need root): " + r.err().strip());
  }

  private synchronized void remove() {
    for (String d : done) Procs.run(Args.cat(List.of("ip"), List.of(d.split(" "))), Map.of());
    done.clear();
  }

  @Override
  public void close() {
    remove();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }
}
