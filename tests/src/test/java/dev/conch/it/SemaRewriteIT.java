package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.conch.coord.Holder;
import dev.conch.coord.Semaphore;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Session;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import io.etcd.jetcd.Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A promoted contender's rewrite of its key (what wakes its successor) fails while its lease lives
 * on: etcd's space quota is exhausted just after the promotion (a full etcd refuses writes but
 * serves reads, deletes and keepalives). Once space is freed, the rewrite must land: otherwise the
 * successor keeps watching the promoted key and a slot freed later stays empty. Library level, with
 * an etcd of its own (a small quota, filled on purpose).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SemaRewriteIT {
  @Test
  void aRewriteRefusedByAFullEtcdLandsOnceThereIsSpaceAgain() throws Exception {
    try (EtcdServer etcd = EtcdServer.start("--quota-backend-bytes", "" + (8 << 20));
        Client client = etcd.client()) {
      Path big = Files.createTempFile("conch-big-", "");
      Files.write(big, new byte[1 << 20]);
      List<Semaphore> q = new ArrayList<>(); // a, b hold; w1, w2 wait, in this order
      List<Session> sessions = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          Session s = Session.open(client, 60, Duration.ofSeconds(5));
          sessions.add(s);
          Semaphore sem = new Semaphore(client, "/rewrite/v1/sema/s/2/", s, 2);
          sem.join(Holder.self(List.of("rewrite"), s.ttl(), s.lease()));
          q.add(sem);
        }
        q.get(0).acquired().get(10, TimeUnit.SECONDS);
        q.get(1).acquired().get(10, TimeUnit.SECONDS);
        CompletableFuture<Long> w2 = q.get(3).acquired();
        // runs as w1's turn completes, before its rewrite is sent: etcd is full when it arrives
        CompletableFuture<Void> full =
            q.get(2)
                .acquired()
                .thenRun(
                    () -> {
                      int i = 0;
                      while (Etcdctl.putFile(etcd.endpoint, "/big/" + i, big).code() == 0)
                        if (++i > 64) throw new AssertionError("etcd never filled up");
                    });
        q.get(0).leave();
        full.get(60, TimeUnit.SECONDS);
        assertFalse(w2.isDone(), "w2 is behind w1, which holds now");
        Procs.nap(1_000); // nothing announces that the rewrite was refused
        assertEquals(0, Etcdctl.run(etcd.endpoint, "del", "--prefix", "/big/").code());
        long rev = client.getKVClient().get(Etcd.bytes("/")).get().getHeader().getRevision();
        for (String[] step :
            new String[][] {{"compaction", "" + rev}, {"defrag"}, {"alarm", "disarm"}})
          assertEquals(0, Etcdctl.run(etcd.endpoint, step).code(), String.join(" ", step));
        q.get(1).leave(); // frees the slot that w2 is entitled to once it wakes
        assertNotEquals(null, w2.get(20, TimeUnit.SECONDS));
        for (Session s : sessions) assertFalse(s.lost().isDone(), "every lease lived on");
      } finally {
        for (Session s : sessions) s.close();
        Files.deleteIfExists(big);
      }
    }
  }
}
