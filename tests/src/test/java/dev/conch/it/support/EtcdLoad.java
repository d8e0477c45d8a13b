package dev.conch.it.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * etcd's own count of the work clients gave it, from every member's {@code /metrics}: what the herd
 * checks compare. Lease grants and keepalives are left out (they do not depend on the queue).
 */
public record EtcdLoad(long kvRequests, long watchMessages) {
  /** Summed over the members in {@code endpoints} (comma-separated). */
  public static EtcdLoad read(String endpoints) throws IOException, InterruptedException {
    long kv = 0, watch = 0;
    HttpClient http = HttpClient.newHttpClient();
    for (String member : endpoints.split(",")) {
      String body =
          http.send(
                  HttpRequest.newBuilder(URI.create(member + "/metrics")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      // KV requests handled (Range, Put, DeleteRange, Txn); watch messages sent (created, events,
      // cancelled): a herd shows in either
      kv += sum(body, "grpc_server_handled_total{", "etcdserverpb.KV");
      watch += sum(body, "grpc_server_msg_sent_total{", "etcdserverpb.Watch");
    }
    return new EtcdLoad(kv, watch);
  }

  private static long sum(String metrics, String counter, String service) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(counter) && l.contains("grpc_service=\"" + service + "\""))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  public EtcdLoad since(EtcdLoad before) {
    return new EtcdLoad(kvRequests - before.kvRequests, watchMessages - before.watchMessages);
  }
}
