package dev.conch.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one read a query makes: the keys under a directory, oldest first. Served by jetcd, or for a
 * query alone by the leaner {@link Gateway}; the queries' logic (Election.leader, Semaphore.groups)
 * is the same over both.
 */
public interface Ranges {
  /** One key as a query sees it. */
  record Kv(String key, String value, long createRevision) {}

  /** The keys under {@code dir} by create revision, ascending; at most {@code limit} (0: all). */
  List<Kv> byCreate(String dir, long limit, String doing);

  /** The same read through jetcd, bounded by {@code timeout}. */
  static Ranges of(Client client, Duration timeout) {
    return (dir, limit, doing) -> {
      GetOption opt =
          GetOption.builder()
              .isPrefix(true)
              .withSortField(GetOption.SortTarget.CREATE)
              .withSortOrder(GetOption.SortOrder.ASCEND)
              .withLimit(limit)
              .build();
      try {
        return client
            .getKVClient()
            .get(Etcd.bytes(dir), opt)
            .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .join()
            .getKvs()
            .stream()
            .map(
                kv ->
                    new Kv(
                        kv.getKey().toString(StandardCharsets.UTF_8),
                        kv.getValue().toString(StandardCharsets.UTF_8),
                        kv.getCreateRevision()))
            .toList();
      } catch (RuntimeException e) {
        throw Etcd.failure(e, doing);
      }
    };
  }
}
