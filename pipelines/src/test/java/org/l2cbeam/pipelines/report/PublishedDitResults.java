package org.l2cbeam.pipelines.report;

import java.util.List;

/**
 * A real benchmark to test the report against: the authors' published DiT-XL/2 256 px results (the
 * L2C paper's table: latency per 8-image batch, FID on 50k samples) with MACs from {@code UnitMacs}
 * (118.6 G per forward per image, CFG doubles it). The DDIM-20 router at θ = 0.1 keeps 157 of 280
 * attention and 155 of 280 MLP units in its cache steps (as {@code RouterScoresTest} checks on the
 * released router).
 */
final class PublishedDitResults {
  private PublishedDitResults() {}

  static final double FORWARD = 118.6e9;
  static final double ATTN = 1.510e9;
  static final double MLP = 2.718e9;

  static double ddimMacs(int steps) {
    return 2 * steps * FORWARD;
  }

  static BenchmarkReport report() {
    double l2c20 = ddimMacs(20) - 2 * ((280 - 157) * ATTN + (280 - 155) * MLP);
    double l2c50 = ddimMacs(50) * (1 - 0.237);
    return new BenchmarkReport(
        "DiT-XL/2 256, published",
        "DiT-XL-2-256x256.pt",
        "VIRTUAL_imagenet256_labeled.npz",
        1.5,
        "50 000 samples, random labels",
        "authors' GPU",
        List.of("from the authors' README"),
        List.of(
            new SettingResult(
                "ddim20",
                "DDIM-20",
                "ddim",
                20,
                null,
                ddimMacs(20),
                2.869 / 8,
                4.892,
                50000,
                "ddim20"),
            new SettingResult(
                "ddim20-l2c",
                "DDIM-20 + L2C θ=0.1",
                "l2c",
                20,
                0.1,
                l2c20,
                2.261 / 8,
                4.644,
                50000,
                "ddim20"),
            new SettingResult(
                "ddim50",
                "DDIM-50",
                "ddim",
                50,
                null,
                ddimMacs(50),
                7.245 / 8,
                4.290,
                50000,
                "ddim50"),
            new SettingResult(
                "ddim50-l2c",
                "DDIM-50 + L2C θ=0.1",
                "l2c",
                50,
                0.1,
                l2c50,
                5.568 / 8,
                4.226,
                50000,
                "ddim50")));
  }
}
