package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.coord.Election;
import dev.conch.coord.Holder;
import dev.conch.coord.Semaphore;
import dev.conch.coord.Slot;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Session;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A contender holds only on a read that also proves its own key exists with its own create revision
 * (issue 12): keys ahead proving absent means nothing when ours vanished with them. At library
 * level there is no wrapper watching our key, so each case here is decided by the turn's read
 * alone: the old read (keys ahead only) let the waiter hold. Leases are long, so no keepalive
 * notices anything first.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KeyGoneIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  private static int seq;
  private final List<Session> sessions = new ArrayList<>();

  @AfterEach
  void close() {
    sessions.forEach(Session::close);
  }

  private Slot queue(Client client, String tool, String dir) {
    Session s = Session.open(client, 60, Duration.ofSeconds(5));
    sessions.add(s);
    Slot slot =
        tool.equals("elect") ? new Election(client, dir, s) : new Semaphore(client, dir, s, 1);
    slot.join(Holder.self(List.of("key-gone"), s.ttl(), s.lease()));
    return slot;
  }

  private static String dir(String tool) {
    return "/keygone" + ++seq + "/v1/" + tool + "/office/" + (tool.equals("sema") ? "1/" : "");
  }

  /** The waiter's turn must fail, with its session lost, instead of completing. */
  private void neverHolds(Slot waiter, CompletableFuture<Long> turn) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> turn.get(20, TimeUnit.SECONDS));
    Session s = sessions.get(1);
    assertTrue(s.lost().isDone(), "the session is lost: " + e.getCause());
    assertTrue(s.lost().join().contains("is gone"), s.lost().join());
    assertFalse(waiter.ready(), "a gone key is not ready either");
  }

  @ParameterizedTest
  @ValueSource(strings = {"elect", "sema"})
  void officeKeysDeletedByHandLeaveTheWaiterWithoutATurn(String tool) throws Exception {
    // an operator's `etcdctl del --prefix`: both keys go at one revision
    holderAndWaiter(
        tool,
        (client, dir, holder) ->
            client
                .getKVClient()
                .delete(Etcd.bytes(dir), DeleteOption.builder().isPrefix(true).build())
                .get(5, TimeUnit.SECONDS));
  }

  interface Loss {
    void inflict(Client client, String dir, Slot holder) throws Exception;
  }

  /** A holder, a waiter waiting for its turn, then {@code loss}: the waiter must never hold. */
  private void holderAndWaiter(String tool, Loss loss) throws Exception {
    Client client = etcd.client();
    String dir = dir(tool);
    Slot holder = queue(client, tool, dir);
    holder.acquired().get(10, TimeUnit.SECONDS);
    Slot waiter = queue(client, tool, dir);
    CompletableFuture<Long> turn = waiter.acquired();
    loss.inflict(client, dir, holder);
    neverHolds(waiter, turn);
  }

  @ParameterizedTest
  @ValueSource(strings = {"elect", "sema"})
  void aWaiterRevokedAsItsPredecessorLeavesNeverHolds(String tool) throws Exception {
    holderAndWaiter(
        tool,
        (client, dir, holder) -> {
          client.getLeaseClient().revoke(sessions.get(1).lease()).get(5, TimeUnit.SECONDS);
          holder.leave(); // the predecessor's deletion is what wakes the waiter
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"elect", "sema"})
  void aKeyGoneBeforeTheFirstLookIsNotATurn(String tool) throws Exception {
    Client client = etcd.client();
    String dir = dir(tool);
    queue(client, tool, dir).acquired().get(10, TimeUnit.SECONDS);
    Slot waiter = queue(client, tool, dir);
    client
        .getKVClient()
        .delete(Etcd.bytes(dir), DeleteOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS);
    assertFalse(waiter.ready(), "--nonblock's one read: our key is gone, so no turn");
    assertTrue(sessions.get(1).lost().isDone());
    assertEquals(0, Etcdctl.keys(etcd.endpoint(), dir).size(), "nothing was re-created");
  }
}
