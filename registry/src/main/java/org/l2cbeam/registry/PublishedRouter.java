package org.l2cbeam.registry;

import org.l2cbeam.core.router.RouterArtifact;

/**
 * A complete, checked router version read from a registry: the router, its manifest, and where it
 * lives.
 *
 * @param location the version's {@code router.json}, e.g. {@code
 *     gs://bucket/routers/<model>/ddim-20/v3/router.json}
 */
public record PublishedRouter(
    RouterKey key, int version, RouterArtifact router, VersionManifest manifest, String location) {

  /** {@code v3}, as messages and schedule ids name versions. */
  public String versionName() {
    return "v" + version;
  }
}
