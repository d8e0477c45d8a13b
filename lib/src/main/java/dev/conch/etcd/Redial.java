package dev.conch.etcd;

import io.etcd.jetcd.Client;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Dials etcd again every {@link #EVERY_MS} while the client reaches none of its endpoints, instead
 * of after gRPC's reconnect backoff (1 s growing 1.6 times per failure, up to 2 minutes): with it,
 * a waiter whose one member was down for 6 s heard of it again 2.3 to 3.6 s after the member
 * answered, and the longer the outage, the longer the wait (up to the 2-minute cap), so a lease
 * that would have survived the outage could expire meanwhile. jetcd does not expose its channel, so
 * it is reached by reflection; should a jetcd release move it, nothing breaks but this shortcut.
 */
final class Redial {
  static final long EVERY_MS = 500;

  private Redial() {}

  static void every(Client client) {
    ManagedChannel channel = channel(client);
    if (channel != null) follow(channel);
  }

  /** Each time the channel has failed, dials again; otherwise waits for its next change. */
  private static void follow(ManagedChannel channel) {
    ConnectivityState s = channel.getState(false);
    if (s == ConnectivityState.SHUTDOWN) return;
    if (s != ConnectivityState.TRANSIENT_FAILURE) {
      channel.notifyWhenStateChanged(s, () -> follow(channel));
      return;
    }
    channel.resetConnectBackoff();
    CompletableFuture.runAsync(
        () -> follow(channel), CompletableFuture.delayedExecutor(EVERY_MS, TimeUnit.MILLISECONDS));
  }

  /** jetcd's channel (ClientImpl.connectionManager.getChannel()), or null if it moved. */
  static ManagedChannel channel(Client client) {
    try {
      Field f = client.getClass().getDeclaredField("connectionManager");
      f.setAccessible(true);
      Object manager = f.get(client);
      Method m = manager.getClass().getDeclaredMethod("getChannel");
      m.setAccessible(true);
      return (ManagedChannel) m.invoke(manager);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
