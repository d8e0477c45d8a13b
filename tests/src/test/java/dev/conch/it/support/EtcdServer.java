package dev.conch.it.support;

import dev.conch.etcd.Connection;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real etcd from PATH (Debian's etcd-server) in a temporary directory on free loopback ports: one
 * member, or a cluster of several that can lose and regain quorum. Never a mock: the client-side
 * recipes are where the bugs live.
 *
 * <p>Secure, it serves clients over TLS only (certificates from {@link Pki}, client certificates
 * required) with authentication on: user {@code root}, and user {@code conch} whose role may read
 * and write only keys under {@link #CONCH_RANGE}, where every test's prefix lies. Etcdctl and Conch
 * find the credentials by endpoint ({@link #ctlEnv}, {@link #conchEnv}), so tests run unchanged.
 */
public final class EtcdServer implements AutoCloseable {
  /**
   * The role of user conch covers keys starting with this: every {@link Conch} prefix is {@code
   * /t<pid>-<n>}.
   */
  public static final String CONCH_RANGE = "/t";

  public static final String ROOT_PASSWORD =
      "root-" + Long.toHexString(new java.security.SecureRandom().nextLong());
  public static final String CONCH_PASSWORD =
      "conch-" + Long.toHexString(new java.security.SecureRandom().nextLong());
  private static final Map<String, EtcdServer> SECURE = new ConcurrentHashMap<>();

  private final Path dir;
  private final Pki pki;
  private volatile boolean authOn;
  private final List<List<String>> commands = new ArrayList<>();
  private final List<Integer> clientPorts = new ArrayList<>();
  private final List<List<String>> restores = new ArrayList<>();
  private final Process[] members;
  private final Netns net; // null: every member on our loopback

  /** Every member's client URL, comma-separated, as CONCH_ENDPOINTS takes them. */
  public final String endpoint;

  /**
   * A jetcd client on every member, for tests at library level; plain, so only for a server without
   * TLS and authentication. The caller closes it.
   */
  public Client client() {
    if (pki != null) throw new IllegalStateException("a library-level client speaks plain TCP");
    return Etcd.connect(
        new Connection(
            List.of(endpoint.split(",")), null, null, null, null, null, Duration.ofSeconds(5)));
  }

  private EtcdServer(int size, Pki pki, List<String> flags, Netns net) throws IOException {
    dir = Files.createTempDirectory("conch-etcd-");
    this.pki = pki;
    this.net = net;
    List<Integer> peers = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      clientPorts.add(freePort());
      peers.add(freePort());
    }
    String cluster =
        IntStream.range(0, size)
            .mapToObj(i -> "m" + i + "=http://" + host(i) + ":" + peers.get(i))
            .collect(Collectors.joining(","));
    for (int i = 0; i < size; i++) {
      restores.add(
          List.of(
              "--name",
              "m" + i,
              "--data-dir",
              dir.resolve("m" + i).toString(),
              "--initial-cluster",
              cluster,
              "--initial-cluster-token",
              dir.getFileName().toString(),
              "--initial-advertise-peer-urls",
              "http://" + host(i) + ":" + peers.get(i)));
      commands.add(
          Args.cat(
              net == null ? List.of() : net.in(i),
              List.of(
                  "etcd",
                  "--name",
                  "m" + i,
                  "--data-dir",
                  dir.resolve("m" + i).toString(),
                  "--listen-client-urls",
                  net == null ? member(i) : member(i) + "," + local(i),
                  "--advertise-client-urls",
                  member(i),
                  "--listen-peer-urls",
                  "http://" + host(i) + ":" + peers.get(i),
                  "--initial-advertise-peer-urls",
                  "http://" + host(i) + ":" + peers.get(i),
                  "--initial-cluster",
                  cluster,
                  "--initial-cluster-token",
                  dir.getFileName().toString(),
                  "--initial-cluster-state",
                  "new",
                  "--log-level",
                  "error",
                  // passwords hashed at bcrypt's lowest cost (etcd's default is 10): each conch
                  // that
                  // authenticates costs etcd 64 times less CPU, and the suite starts over a
                  // thousand
                  "--bcrypt-cost",
                  "4",
                  "--logger",
                  "zap"),
              flags));
      if (pki != null) {
        commands.set(
            i,
            Args.cat(
                commands.get(i),
                List.of(
                    "--cert-file",
                    pki.serverCert.toString(),
                    "--key-file",
                    pki.serverKey.toString(),
                    "--trusted-ca-file",
                    pki.ca.toString(),
                    "--client-cert-auth")));
      }
    }
    members = new Process[size];
    endpoint = IntStream.range(0, size).mapToObj(this::member).collect(Collectors.joining(","));
  }

  public static EtcdServer start() {
    return start(1, false);
  }

  /** One member, plain, with etcd's {@code flags} added (a small space quota, say). */
  public static EtcdServer start(String... flags) {
    return start(1, null, List.of(flags));
  }

  /**
   * {@code size} members on loopback, all healthy; {@code secure}: TLS and authentication, see
   * above.
   */
  public static EtcdServer start(int size, boolean secure) {
    return start(size, secure ? Pki.shared() : null, List.of());
  }

  /** A plain member on each host of {@code net}: partitions are cuts of a host's link. */
  public static EtcdServer start(Netns net) {
    return start(net.size(), null, List.of(), net);
  }

  private static EtcdServer start(int size, Pki pki, List<String> flags) {
    return start(size, pki, flags, null);
  }

  private static EtcdServer start(int size, Pki pki, List<String> flags, Netns net) {
    boolean secure = pki != null;
    try {
      EtcdServer s = new EtcdServer(size, pki, flags, net);
      for (int i = 0; i < size; i++) s.launch(i);
      if (secure) {
        for (int i = 0; i < size; i++) SECURE.put(s.member(i), s);
      }
      s.awaitHealthy(s.endpoint);
      if (secure) s.enableAuth();
      ctlOn(s.member(0), "snapshot", "save", s.dir.resolve(FIRST).toString());
      return s;
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot start etcd from PATH (apt-get install etcd-server): " + e.getMessage(), e);
    }
  }

  /** Every member's client URL but member {@code i}'s, comma-separated. */
  public String endpointsBut(int i) {
    return IntStream.range(0, size())
        .filter(j -> j != i)
        .mapToObj(this::member)
        .collect(Collectors.joining(","));
  }

  /** One member's client URL. */
  public String member(int i) {
    return (pki == null ? "http" : "https") + "://" + host(i) + ":" + clientPorts.get(i);
  }

  /** Member {@code i}'s client URL for a process on its own host: reachable even when cut off. */
  public String local(int i) {
    return "http://127.0.0.1:" + clientPorts.get(i);
  }

  private String host(int i) {
    return net == null ? "127.0.0.1" : net.address(i);
  }

  public Pki pki() {
    return pki;
  }

  /**
   * Root, and a conch user whose role reads and writes {@link #CONCH_RANGE} and nothing else; then
   * auth on.
   */
  private void enableAuth() {
    ctl("user", "add", "root:" + ROOT_PASSWORD);
    ctl("user", "grant-role", "root", "root");
    ctl("user", "add", "conch:" + CONCH_PASSWORD);
    ctl("role", "add", "conch");
    ctl("role", "grant-permission", "conch", "--prefix=true", "readwrite", CONCH_RANGE);
    ctl("user", "grant-role", "conch", "conch");
    ctl("auth", "enable");
    authOn = true;
  }

  private void ctl(String... args) {
    ctlOn(endpoint, args);
  }

  private static void ctlOn(String endpoints, String... args) {
    Procs.Result r = Etcdctl.run(endpoints, args);
    if (r.code() != 0)
      throw new IllegalStateException("etcdctl " + String.join(" ", args) + ": " + r.err());
  }

  /** What etcdctl needs to act as root on a secure server; nothing for a plain one. */
  public static Map<String, String> ctlEnv(String endpoints) {
    EtcdServer s = SECURE.get(endpoints.split(",")[0]);
    if (s == null) return Map.of();
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "ETCDCTL_CACERT",
                s.pki.ca.toString(),
                "ETCDCTL_CERT",
                s.pki.clientCert.toString(),
                "ETCDCTL_KEY",
                s.pki.clientKey.toString()));
    if (s.authOn) env.put("ETCDCTL_USER", "root:" + ROOT_PASSWORD);
    return env;
  }

  /** What conch needs to act as user conch on a secure server; nothing for a plain one. */
  public static Map<String, String> conchEnv(String endpoints) {
    EtcdServer s = SECURE.get(endpoints.split(",")[0]);
    if (s == null) return Map.of();
    return Map.of(
        "CONCH_CACERT",
        s.pki.ca.toString(),
        "CONCH_CERT",
        s.pki.clientCert.toString(),
        "CONCH_KEY",
        s.pki.clientKey.toString(),
        "CONCH_USER",
        "conch",
        "CONCH_PASSWORD",
        CONCH_PASSWORD);
  }

  public int size() {
    return members.length;
  }

  private void launch(int i) throws IOException {
    members[i] =
        Procs.track(
            new ProcessBuilder(commands.get(i))
                .redirectErrorStream(true)
                .redirectOutput(
                    ProcessBuilder.Redirect.appendTo(dir.resolve("m" + i + ".log").toFile()))
                .start());
  }

  private void awaitHealthy(String endpoints) {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < end) {
      for (Process p : members) {
        if (p != null && !p.isAlive())
          throw new IllegalStateException("etcd exited; see the logs in " + dir);
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

  /** Kills member {@code i} outright (SIGKILL): a leader gets no chance to hand over. */
  public void kill(int i) {
    try {
      members[i].destroyForcibly().waitFor();
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

  /** A snapshot of the cluster as it was set up, before any test wrote to it. */
  private static final String FIRST = "first.db";

  /**
   * etcd loses its data: every member killed outright and restored from the snapshot taken when it
   * was set up (users and roles, no test's keys, no leases), then started again on the same ports:
   * a wiped cluster, or a restore from a backup older than every key. Revisions start over.
   */
  public void wipe() {
    restore(dir.resolve(FIRST));
  }

  /** A backup of the data as it is now ({@code etcdctl snapshot save}), for {@link #restore}. */
  public void save(Path snapshot) {
    ctlOn(member(0), "snapshot", "save", snapshot.toString());
  }

  /** Kills every member outright (SIGKILL), keeping its data: etcd crashed, or its host did. */
  public void killAll() {
    for (int i = 0; i < size(); i++) kill(i);
  }

  /** Starts every member again on its data and waits until they answer with quorum. */
  public void restartAll() {
    restart(IntStream.range(0, size()).toArray());
  }

  /**
   * etcd restored from a backup: every member killed outright, its data replaced by {@code
   * snapshot}'s (its keys, and its leases, which etcd grants again with their TTLs), then started
   * again on the same ports. Revisions go back to the snapshot's.
   */
  public void restore(Path snapshot) {
    killAll();
    for (int i = 0; i < size(); i++) {
      Path data = dir.resolve("m" + i);
      Procs.deleteTree(data);
      if (Files.exists(data)) throw new IllegalStateException("cannot wipe " + data);
      List<String> restore =
          new ArrayList<>(List.of("etcdctl", "snapshot", "restore", snapshot.toString()));
      restore.addAll(restores.get(i));
      Procs.Result r = Procs.run(restore, Map.of("ETCDCTL_API", "3"));
      if (r.code() != 0) throw new IllegalStateException("snapshot restore: " + r.err());
    }
    try {
      for (int i = 0; i < size(); i++) launch(i);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    awaitHealthy(endpoint);
  }

  /** Makes member {@code i} the leader (etcdctl move-leader), so that a drill knows who leads. */
  public void lead(int i) {
    String id = null;
    String leader = null;
    // simple output, a line per member: endpoint, ID (hex), version, DB size, is leader, ...
    for (String line : Etcdctl.run(endpoint, "endpoint", "status").out().strip().split("\\R")) {
      String[] f = line.split(",\\s*");
      if (f[0].equals(member(i))) id = f[1];
      if (f[4].equals("true")) leader = f[0];
    }
    if (id == null || leader == null) throw new IllegalStateException("no status for " + member(i));
    if (!leader.equals(member(i))) ctlOn(leader, "move-leader", id);
  }

  /** Freezes every member (SIGSTOP): to clients it is a partition, connections open but silent. */
  public void freeze() {
    for (int i = 0; i < size(); i++) freeze(i);
  }

  /**
   * Freezes member {@code i} alone: a client that knows only it is cut off, the others keep quorum.
   */
  public void freeze(int i) {
    Procs.kill("STOP", members[i].pid());
  }

  public void thaw() {
    for (int i = 0; i < size(); i++) thaw(i);
  }

  public void thaw(int i) {
    if (members[i].isAlive()) Procs.kill("CONT", members[i].pid());
  }

  /** Ports handed out by this JVM: never twice, even before their etcd has bound them. */
  private static final Set<Integer> HANDED = ConcurrentHashMap.newKeySet();

  /**
   * A loopback port free now, below the kernel's ephemeral range. ServerSocket(0) picks from that
   * range, from which the kernel also takes every outgoing connection's source port, so the port
   * could be taken between this check and etcd's bind: a member then died with "bind: address
   * already in use" (CI, 2026-12-06). Below the range (Linux's default, 32768-60999, as on the
   * machines that run the suite) only a listener can take it.
   */
  public static int freePort() throws IOException {
    int low = 10_000, high = 32_768;
    for (int tries = 0; tries < 1000; tries++) {
      int port = ThreadLocalRandom.current().nextInt(low, high);
      if (!HANDED.add(port)) continue;
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true); // as etcd's listener: a closed connection's TIME_WAIT is no owner
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return port;
      } catch (IOException taken) {
        // a listener has it: try another
      }
    }
    throw new IOException("no free port in " + low + "-" + high);
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
    for (int i = 0; i < members.length; i++)
      if (members[i] != null && members[i].isAlive()) stop(i);
    for (int i = 0; i < members.length; i++) SECURE.remove(member(i));
    Procs.deleteTree(dir);
  }
}
