package dev.conch.it.invariant;

import dev.conch.coord.Holder;
import dev.conch.etcd.Etcd;
import dev.conch.it.support.Fence;
import dev.conch.it.support.Procs;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a run records: each child's start (its S line) and the moment its process group was gone
 * (its witness's E line), and its guarded writes (W lines), from the shared log; and when each key
 * was created and deleted, from the test's watch or, for the test's own revokes, when {@code
 * etcdctl lease revoke} returned, whichever is first.
 */
final class Observer implements AutoCloseable {
  private final Path log;
  private final List<Interval> intervals = Collections.synchronizedList(new ArrayList<>());

  /** When each child's process group was gone, by its CONCH_REV (its witness's line). */
  private final Map<Long, Long> ended = new ConcurrentHashMap<>();

  /** When the test saw each key deleted, by create revision (the child's CONCH_REV). */
  private final Map<Long, Long> lostAt = new ConcurrentHashMap<>();

  /** The keys, by create revision, that vanished without a clean release's mark. */
  private final Set<Long> unmarked = ConcurrentHashMap.newKeySet();

  private final Map<Long, Long> deletedRev = new ConcurrentHashMap<>(); // create rev -> delete rev

  /** Every key the watch saw created, by create revision. */
  private final Set<Long> created = ConcurrentHashMap.newKeySet();

  /** The children's guarded writes (their W lines). */
  private final List<Fences.Write> writes = Collections.synchronizedList(new ArrayList<>());

  private RandomAccessFile in;
  private Watch.Watcher watcher;

  /** Done only if it failed: then its failure is the test's, not a silent stop. */
  private ScheduledFuture<?> reading;

  Observer(Path log) {
    this.log = log;
  }

  /** Wall-clock ns, the clock of the children's lines (bash's EPOCHREALTIME). */
  static long now() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000_000 + t.getNano();
  }

  /** Creates the log, watches {@code prefix} for deletions and reads the log every 20 ms. */
  void start(Client client, String prefix, ScheduledExecutorService background) throws Exception {
    Files.createFile(log);
    in = new RandomAccessFile(log.toFile(), "r");
    long from =
        client
            .getKVClient()
            .get(Etcd.bytes(prefix))
            .get(10, TimeUnit.SECONDS)
            .getHeader()
            .getRevision();
    watcher =
        client
            .getWatchClient()
            .watch(
                Etcd.bytes(prefix),
                WatchOption.builder()
                    .isPrefix(true)
                    .withPrevKV(true)
                    .withRevision(from + 1)
                    .build(),
                response -> {
                  long now = now();
                  for (WatchEvent e : response.getEvents())
                    if (e.getEventType() == WatchEvent.EventType.PUT)
                      created.add(e.getKeyValue().getCreateRevision());
                    else if (e.getEventType() == WatchEvent.EventType.DELETE) {
                      long rev = e.getPrevKV().getCreateRevision();
                      lostAt.putIfAbsent(rev, now);
                      deletedRev.putIfAbsent(rev, e.getKeyValue().getModRevision());
                      if (!Holder.released(Etcd.string(e.getPrevKV().getValue())))
                        unmarked.add(rev);
                    }
                });
    reading = background.scheduleWithFixedDelay(this::read, 20, 20, TimeUnit.MILLISECONDS);
  }

  /**
   * Reads the children's lines: a start, written by the child, and an end, written by its witness
   * the moment its process group is gone; both timed by bash's clock where they happen, so this
   * poll of a file adds no lateness to what it measures.
   */
  void read() {
    synchronized (in) { // the last call, from the test's thread, may meet a scheduled one
      try {
        String line;
        while ((line = in.readLine()) != null) {
          String[] f = line.split(" ");
          if (f[0].equals("S")) intervals.add(new Interval(f));
          if (f[0].equals("E")) ended.put(Long.parseLong(f[1]), Long.parseLong(f[2]));
          if (f[0].equals("W")) writes.add(write(line));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (Interval iv : List.copyOf(intervals)) {
        Long end = ended.get(iv.rev);
        if (iv.end == Long.MAX_VALUE && end != null) iv.end = end;
      }
    }
  }

  /** "W TOKEN JSON": the JSON of etcdctl txn, or nothing if etcdctl did not answer. */
  private static Fences.Write write(String line) {
    String[] f = line.split(" ", 3);
    return new Fences.Write(Long.parseLong(f[1]), f.length < 3 ? null : Fence.Outcome.parse(f[2]));
  }

  List<Fences.Write> writes() {
    return List.copyOf(writes);
  }

  /**
   * Each key's life, create revision to delete revision, once the watch reported every key it saw
   * created deleted: all are gone at the end of a run, but the watch's last events come on their
   * own thread, with nothing else to wait on.
   */
  Map<Long, Long> lives() {
    long giveUp = System.nanoTime() + 10_000_000_000L;
    while (!deletedRev.keySet().containsAll(created)) {
      if (System.nanoTime() > giveUp)
        throw new AssertionError("keys never seen deleted: " + created + " " + deletedRev);
      Procs.nap(20);
    }
    return Map.copyOf(deletedRev);
  }

  /** Throws what stopped the scheduled reads, if anything did. */
  void rethrow() throws InterruptedException, ExecutionException {
    if (reading.isDone()) reading.get();
  }

  /**
   * The test revoked the key of {@code rev}: it was gone by now, whenever the watch hears of it.
   */
  void revoked(long rev) {
    lostAt.merge(rev, now(), Math::min);
  }

  /** When the key of {@code iv} was deleted; MAX_VALUE: not (yet) seen. */
  long lost(Interval iv) {
    return lostAt.getOrDefault(iv.rev, Long.MAX_VALUE);
  }

  /** The revision that deleted the key of {@code iv}, if the watch saw it. */
  long deletedRevision(Interval iv) {
    return deletedRev.getOrDefault(iv.rev, Long.MAX_VALUE);
  }

  /** Whether the key of {@code iv} vanished unmarked: a loss, not a clean release. */
  boolean unmarked(Interval iv) {
    return unmarked.contains(iv.rev);
  }

  /** Every child seen so far, by start. */
  List<Interval> all() {
    List<Interval> all = new ArrayList<>(intervals);
    all.sort(Comparator.comparingLong(iv -> iv.start));
    return all;
  }

  /** Running children whose key still exists, in rank order. */
  List<Interval> holders() {
    return List.copyOf(intervals).stream()
        .filter(iv -> iv.end == Long.MAX_VALUE && !lostAt.containsKey(iv.rev))
        .sorted(Comparator.comparingLong(iv -> iv.rev))
        .toList();
  }

  /** The tokens of the children still running, ascending. */
  List<Long> running() {
    return List.copyOf(intervals).stream()
        .filter(iv -> iv.end == Long.MAX_VALUE)
        .map(iv -> iv.rev)
        .sorted()
        .toList();
  }

  @Override
  public void close() throws IOException {
    if (watcher != null) watcher.close();
    if (in != null) in.close();
  }
}
