package dev.conch.cron;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.conch.base.Json;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pausing and resuming a job: its spec moves, in one transaction, from {@code cron/jobs/<job>} to
 * {@code cron/paused/<job>} (with who paused it and when) and back. A daemon of a release without
 * pause sees the job deleted, as after {@code cron rm}, so it claims no tick of it (contract
 * section 3); a daemon of this release also compares the job key in its claim ({@link Claims}).
 * Every move is guarded by the mod revision it read, so a concurrent edit is read again, not lost.
 */
public final class Pause {
  /** What a pause or a resume found: it moved the job, found it moved already, or no such job. */
  public enum Result {
    DONE,
    ALREADY,
    UNKNOWN
  }

  /** Who paused a job and when, stored beside the spec's own fields. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Mark(
      @JsonProperty("paused_by") String pausedBy, @JsonProperty("paused_at") String pausedAt) {}

  /** A paused job: its spec and its mark. */
  public record Paused(Job job, Mark mark) {}

  private static final List<String> MARK_FIELDS = List.of("paused_by", "paused_at");

  private final Client client;
  private final Keys keys;
  private final Duration timeout;

  public Pause(Client client, Keys keys, Duration timeout) {
    this.client = client;
    this.keys = keys;
    this.timeout = timeout;
  }

  public Result pause(String job, String by) {
    ByteSequence active = Etcd.bytes(keys.cronJob(job));
    ByteSequence paused = Etcd.bytes(keys.cronPaused(job));
    while (true) {
      KeyValue kv = get(active);
      if (kv == null) return get(paused) == null ? Result.UNKNOWN : Result.ALREADY;
      Map<String, Object> v = fields(kv);
      v.putAll(Json.fields(new Mark(by, Instant.now().toString())));
      if (moved(kv, active, paused, v, false)) return Result.DONE;
    }
  }

  /**
   * Moves the spec back. A job that is under jobs/ too (a release without pause added it while it
   * was paused) keeps that newer spec: only the paused copy goes.
   */
  public Result resume(String job) {
    ByteSequence active = Etcd.bytes(keys.cronJob(job));
    ByteSequence paused = Etcd.bytes(keys.cronPaused(job));
    while (true) {
      KeyValue kv = get(paused);
      if (kv == null) return get(active) == null ? Result.UNKNOWN : Result.ALREADY;
      Map<String, Object> v = fields(kv);
      MARK_FIELDS.forEach(v::remove);
      if (get(active) == null ? moved(kv, paused, active, v, true) : dropped(kv, paused))
        return Result.DONE;
    }
  }

  /** Adds or replaces a job; a paused one stays paused, with its mark. True if it is paused. */
  public boolean put(Job job) {
    ByteSequence active = Etcd.bytes(keys.cronJob(job.job()));
    ByteSequence paused = Etcd.bytes(keys.cronPaused(job.job()));
    while (true) {
      KeyValue kv = get(paused);
      Map<String, Object> v = Json.fields(job);
      ByteSequence key = active;
      Cmp guard = new Cmp(paused, Cmp.Op.EQUAL, CmpTarget.version(0));
      if (kv != null) {
        Json.read(Etcd.string(kv.getValue()), Mark.class).ifPresent(m -> v.putAll(Json.fields(m)));
        key = paused;
        guard = new Cmp(paused, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision()));
      }
      Op put = Op.put(key, Etcd.bytes(Json.write(v)), PutOption.DEFAULT);
      if (txn(List.of(guard), List.of(put), "adding " + job.job()).isSucceeded()) return kv != null;
    }
  }

  /** Every readable paused job, by name; {@code unreadable} collects the keys nobody can parse. */
  public List<Paused> list(List<String> unreadable) {
    List<Paused> out = new ArrayList<>();
    GetOption all = GetOption.builder().isPrefix(true).build();
    String dir = keys.cronPausedJobs();
    for (KeyValue kv :
        Etcd.sync(client.getKVClient().get(Etcd.bytes(dir), all), timeout, "reading " + dir)
            .getKvs()) {
      String key = Etcd.string(kv.getKey());
      String value = Etcd.string(kv.getValue());
      Optional<Job> j = Table.parseJob(key.substring(dir.length()), value);
      if (j.isPresent()) out.add(new Paused(j.get(), Json.read(value, Mark.class).orElseThrow()));
      else unreadable.add(key);
    }
    return out;
  }

  /** The job's spec, running or paused. */
  public Optional<Job> spec(String job) {
    for (String key : List.of(keys.cronJob(job), keys.cronPaused(job))) {
      KeyValue kv = get(Etcd.bytes(key));
      if (kv != null) return Table.parseJob(job, Etcd.string(kv.getValue()));
    }
    return Optional.empty();
  }

  /**
   * Moves {@code kv} from {@code from} to {@code to} as {@code v}, if {@code from} is still as read
   * and, if {@code toAbsent}, {@code to} does not exist (a resume never overwrites a newer spec; a
   * pause overwrites a stale paused copy).
   */
  private boolean moved(
      KeyValue kv, ByteSequence from, ByteSequence to, Map<String, Object> v, boolean toAbsent) {
    List<Cmp> guards = new ArrayList<>();
    guards.add(new Cmp(from, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())));
    if (toAbsent) guards.add(new Cmp(to, Cmp.Op.EQUAL, CmpTarget.version(0)));
    List<Op> ops =
        List.of(
            Op.delete(from, DeleteOption.DEFAULT),
            Op.put(to, Etcd.bytes(Json.write(v)), PutOption.DEFAULT));
    return txn(guards, ops, "moving " + Etcd.string(from)).isSucceeded();
  }

  private boolean dropped(KeyValue kv, ByteSequence key) {
    Cmp same = new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision()));
    return txn(List.of(same), List.of(Op.delete(key, DeleteOption.DEFAULT)), "resuming")
        .isSucceeded();
  }

  private TxnResponse txn(List<Cmp> guards, List<Op> ops, String doing) {
    return Etcd.sync(
        client
            .getKVClient()
            .txn()
            .If(guards.toArray(Cmp[]::new))
            .Then(ops.toArray(Op[]::new))
            .commit(),
        timeout,
        doing);
  }

  private KeyValue get(ByteSequence key) {
    List<KeyValue> kvs =
        Etcd.sync(client.getKVClient().get(key), timeout, "reading " + Etcd.string(key)).getKvs();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  /** A stored value's fields, unknown ones included (a newer release's stay as they are). */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> fields(KeyValue kv) {
    return Json.read(Etcd.string(kv.getValue()), LinkedHashMap.class)
        .orElseThrow(() -> new IllegalStateException("unreadable " + Etcd.string(kv.getKey())));
  }
}
