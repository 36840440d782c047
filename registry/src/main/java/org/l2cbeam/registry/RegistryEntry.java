package org.l2cbeam.registry;

/**
 * One version in {@link RouterRegistry#list}: its number, whether readers resolve it, and its
 * manifest (null for an incomplete version).
 */
public record RegistryEntry(int version, Status status, VersionManifest manifest, String location) {

  /** Where a version stands. */
  public enum Status {
    /** What {@code latest} resolves to now. */
    LATEST,
    /**
     * Was the latest once and has been replaced (or rolled back from); kept, and a rollback target.
     */
    SUPERSEDED,
    /**
     * Complete but never the latest: a candidate that lost a race for the pointer, or whose
     * publisher died between writing it and moving the pointer. Kept, and a rollback target.
     */
    UNPUBLISHED,
    /**
     * Its router was written but its manifest never was (a publish failed or was killed half-way):
     * never used.
     */
    INCOMPLETE
  }
}
