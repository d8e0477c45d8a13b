package dev.conch.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real etcd from PATH (Debian's etcd-server) in a temporary directory on free loopback ports: one
 * member, or a cluster of several that can lose and regain quorum. Never a mock: the client-side
 * recipes are where the bugs live.
 */
public final class EtcdServer implements AutoCloseable {
  private final Path dir;
  private final List<List<String>> commands = new ArrayList<>();
  private final List<Integer> clientPorts = new ArrayList<>();
  private final Process[] members;
  /** Every member's client URL, comma-separated, as CONCH_ENDPOINTS takes them. */
  public final String endpoint;

  private EtcdServer(int size) throws IOException {
    dir = Files.createTempDirectory("conch-etcd-");
    List<Integer> peers = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      clientPorts.add(freePort());
      peers.add(freePort());
    }
    String cluster = IntStream.range(0, size).mapToObj(i -> "m" + i + "=http://127.0.0.1:" + peers.get(i)).collect(Collectors.joining(","));
    for (int i = 0; i < size; i++) {
      commands.add(List.of("etcd", "--name", "m" + i, "--data-dir", dir.resolve("m" + i).toString(),
          "--listen-client-urls", member(i), "--advertise-client-urls", member(i),
          "--listen-peer-urls", "http://127.0.0.1:" + peers.get(i), "--initial-advertise-peer-urls", "http://127.0.0.1:" + peers.get(i),
          "--initial-cluster", cluster, "--initial-cluster-token", dir.getFileName().toString(), "--initial-cluster-state", "new",
          "--log-level", "error", "--logger", "zap"));
    }
    members = new Process[size];
    endpoint = IntStream.range(0, size).mapToObj(this::member).collect(Collectors.joining(","));
  }

  public static EtcdServer start() {
    return start(1);
  }

  /** {@code size} members on loopback, all healthy. */
  public static EtcdServer start(int size) {
    try {
      EtcdServer s = new EtcdServer(size);
      for (int i = 0; i < size; i++) s.launch(i);
      s.awaitHealthy(s.endpoint);
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start etcd from PATH (apt-get install etcd-server): " + e.getMessage(), e);
    }
  }

  /** One member's client URL. */
  public String member(int i) {
    return "http://127.0.0.1:" + clientPorts.get(i);
  }

  public int size() {
    return members.length;
  }

  private void launch(int i) throws IOException {
    members[i] = Procs.track(new ProcessBuilder(commands.get(i)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("m" + i + ".log").toFile())).start());
  }

  private void awaitHealthy(String endpoints) {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < end) {
      for (Process p : members) {
        if (p != null && !p.isAlive()) throw new IllegalStateException("etcd exited; see the logs in " + dir);
      }
      if (Etcdctl.run(endpoints, "endpoint", "health").code() == 0) return;
      Procs.nap(100); // etcd announces readiness nowhere else we can wait on
    }
    throw new IllegalStateException("etcd not healthy within 30s; see the logs in " + dir);
  }

  /** Stops member {@code i} (SIGTERM, as an operator would), keeping its data. */
  public void stop(int i) {
    members[i].destroy();
    try {
      if (!members[i].waitFor(10, TimeUnit.SECONDS)) members[i].destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts members again on their data and waits until they answer with quorum. */
  public void restart(int... ids) {
    try {
      for (int i : ids) launch(i);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    awaitHealthy(IntStream.of(ids).mapToObj(this::member).collect(Collectors.joining(",")));
  }

  /** Freezes every member (SIGSTOP): to clients it is a partition, connections open but silent. */
  public void freeze() {
    for (Process p : members) Procs.kill("STOP", p.pid());
  }

  public void thaw() {
    for (Process p : members) if (p.isAlive()) Procs.kill("CONT", p.pid());
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  /** A port nothing listens on, for "etcd unreachable". */
  public static String deadEndpoint() throws IOException {
    int port = freePort();
    try {
      new Socket("127.0.0.1", port).close();
    } catch (IOException expected) {
      return "http://127.0.0.1:" + port;
    }
    throw new IllegalStateException("port " + port + " unexpectedly open");
  }

  @Override
  public void close() {
    for (int i = 0; i < members.length; i++) if (members[i] != null && members[i].isAlive()) stop(i);
    Procs.deleteTree(dir);
  }
}
