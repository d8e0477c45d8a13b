package dev.conch.etcd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Where etcd is and how to prove who we are. The password never comes from argv (contract section 2). */
public record Connection(
    List<String> endpoints, String user, String password, Path cacert, Path cert, Path key, Duration dialTimeout) {}
