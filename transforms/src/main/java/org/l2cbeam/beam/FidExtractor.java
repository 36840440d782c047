package org.l2cbeam.beam;

import java.util.Locale;

/** The feature networks {@link ComputeFID} can compute FID with. */
public enum FidExtractor {
  /**
   * The bundled Fashion-MNIST classifier's 128-d features (for the bundled DiT's 32×32 grey
   * samples).
   */
  FMNIST("fmnist"),
  /**
   * pytorch-fid's InceptionV3 pool features, 2048-d: the standard FID, for ImageNet DiT and U-ViT
   * samples.
   */
  INCEPTION("inception");

  private final String id;

  FidExtractor(String id) {
    this.id = id;
  }

  /** The name the pipelines' {@code --extractor} option and FID results use. */
  public String id() {
    return id;
  }

  /** Parses {@code fmnist} or {@code inception}, case-insensitively. */
  public static FidExtractor parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (FidExtractor e : values()) {
      if (e.id.equals(n)) return e;
    }
    throw new IllegalArgumentException("unknown extractor '" + name + "' (fmnist or inception)");
  }
}
