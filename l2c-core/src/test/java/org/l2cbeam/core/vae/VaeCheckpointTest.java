package org.l2cbeam.core.vae;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;
import org.l2cbeam.core.TestResources;
import org.l2cbeam.core.io.CheckpointFormatException;
import org.l2cbeam.core.io.TensorData;
import org.l2cbeam.core.io.WeightMap;

/** Layout detection, the LDM ↔ diffusers mapping, config inference and the strict load. */
public class VaeCheckpointTest {
  @Test
  public void everyLayoutNormalisesToTheSameLdmTensors() {
    for (String set : new String[] {"vae", "vae-wide"}) {
      VaeVectors vectors = new VaeVectors(set);
      VaeCheckpoint ldm = VaeWeightFixtures.checkpoint(vectors, "vae_model.safetensors");
      assertEquals(VaeWeightLayout.LDM, ldm.layout());
      for (String other : VaeWeightFixtures.WEIGHT_FILES) {
        VaeCheckpoint c = VaeWeightFixtures.checkpoint(vectors, other);
        assertEquals(set + " " + other, ldm.config(), c.config());
        assertEquals(
            set + " " + other + " keys", ldm.ldmTensors().keySet(), c.ldmTensors().keySet());
        ldm.ldmTensors()
            .forEach(
                (k, t) -> {
                  TensorData u = c.ldmTensors().get(k);
                  assertArrayEquals(set + " " + other + " " + k, t.shape(), u.shape());
                  assertEquals(set + " " + other + " " + k, t.bytes(), u.bytes());
                });
        VaeWeightLayout expected =
            other.startsWith("vae_model.") ? VaeWeightLayout.LDM : VaeWeightLayout.DIFFUSERS;
        assertEquals(set + " " + other, expected, c.layout());
      }
    }
  }

  @Test
  public void configIsInferredFromShapes() {
    VaeConfig small =
        VaeCheckpoint.open(TestResources.vector("vae/vae_diffusers_layout.safetensors")).config();
    assertEquals(new VaeConfig(32, new int[] {1, 1}, 1, 3, 3, 4, 4), small);
    assertEquals(2, small.downsamplingFactor());
    VaeConfig wide =
        VaeCheckpoint.open(TestResources.vector("vae-wide/vae_model.safetensors")).config();
    assertEquals(new VaeConfig(32, new int[] {1, 2}, 1, 3, 3, 4, 4), wide);
  }

  /** sd-vae-ft-ema: 248 tensors, 83,653,863 parameters; decoder 311 GMAC per 256×256 image. */
  @Test
  public void realModelKeySetAndCost() {
    VaeConfig real = VaeConfig.stableDiffusionKlF8();
    Map<String, long[]> shapes = real.ldmShapes();
    assertEquals(248, shapes.size());
    assertEquals(83_653_863L, shapes.values().stream().mapToLong(TensorData::numel).sum());
    assertEquals(8, real.downsamplingFactor());
    assertEquals(311, real.decoderMacs(32, 32) / 1_000_000_000L);
    assertArrayEquals(
        new long[] {128, 256, 1, 1}, shapes.get("decoder.up.0.block.0.nin_shortcut.weight"));
  }

  @Test
  public void decoderLevelIndexFlipsBetweenLayouts() {
    assertEquals(
        "decoder.up_blocks.3.resnets.0.conv_shortcut.weight",
        VaeKeyMapping.toDiffusers("decoder.up.0.block.0.nin_shortcut.weight", 4, false));
    assertEquals(
        "decoder.up_blocks.0.upsamplers.0.conv.bias",
        VaeKeyMapping.toDiffusers("decoder.up.3.upsample.conv.bias", 4, false));
    assertEquals(
        "encoder.down_blocks.1.downsamplers.0.conv.weight",
        VaeKeyMapping.toDiffusers("encoder.down.1.downsample.conv.weight", 4, false));
    assertEquals(
        "decoder.mid_block.attentions.0.proj_attn.weight",
        VaeKeyMapping.toDiffusers("decoder.mid.attn_1.proj_out.weight", 4, true));
    assertEquals(
        "encoder.mid.attn_1.v.bias",
        VaeKeyMapping.toLdm("encoder.mid_block.attentions.0.value.bias", 4));
    assertEquals("encoder.norm_out.weight", VaeKeyMapping.toLdm("encoder.conv_norm_out.weight", 4));
    // Round trip over the 248 keys of the real model, modern and legacy attention names.
    for (String key : VaeConfig.stableDiffusionKlF8().ldmShapes().keySet()) {
      for (boolean legacy : new boolean[] {false, true}) {
        assertEquals(key, VaeKeyMapping.toLdm(VaeKeyMapping.toDiffusers(key, 4, legacy), 4));
      }
    }
  }

  @Test
  public void prefixedFullCheckpointIsUnwrapped() {
    WeightMap ldm = WeightMap.open(TestResources.vector("vae/vae_model.safetensors"));
    Map<String, TensorData> wrapped = new LinkedHashMap<>();
    ldm.tensors().forEach((k, v) -> wrapped.put("state_dict.first_stage_model." + k, v));
    wrapped.put(
        "state_dict.model.diffusion_model.input_blocks.0.0.weight", ldm.get("quant_conv.weight"));
    wrapped.put("state_dict.first_stage_model.loss.logvar", ldm.get("quant_conv.bias"));
    VaeCheckpoint c = VaeCheckpoint.from(new WeightMap(ldm.source(), wrapped, Map.of()));
    assertEquals(ldm.names(), c.ldmTensors().keySet());
  }

  @Test
  public void neitherLayoutListsWhatIsMissing() {
    Path dit = TestResources.vector("dit_model.safetensors");
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> VaeCheckpoint.open(dit));
    assertThat(e.getMessage(), containsString(dit.toString()));
    assertThat(
        e.getMessage(),
        containsString("not a Stable-Diffusion VAE checkpoint in either weight layout"));
    assertThat(
        e.getMessage(),
        containsString("missing [encoder.conv_in.weight, encoder.down.0.block.0.conv1.weight"));
    assertThat(e.getMessage(), containsString("encoder.down_blocks.0.resnets.0.conv1.weight"));
    assertThat(e.getMessage(), containsString("decoder.up_blocks.0.resnets.0.conv1.weight"));
  }

  @Test
  public void diffusersFileWithMissingAndExtraKeysIsNamedInItsOwnKeys() {
    WeightMap diffusers =
        WeightMap.open(TestResources.vector("vae-wide/vae_diffusers_layout.safetensors"));
    Map<String, TensorData> broken = new LinkedHashMap<>(diffusers.tensors());
    broken.remove("decoder.up_blocks.1.resnets.0.conv_shortcut.weight");
    broken.remove("encoder.mid_block.attentions.0.to_k.bias");
    broken.put("decoder.mid_block.attentions.0.to_out.1.weight", diffusers.get("quant_conv.bias"));
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class,
            () -> VaeCheckpoint.from(new WeightMap(diffusers.source(), broken, Map.of())));
    assertThat(e.getMessage(), containsString("vae_diffusers_layout.safetensors"));
    assertThat(
        e.getMessage(),
        containsString(
            "missing keys: [encoder.mid_block.attentions.0.to_k.bias, decoder.up_blocks.1.resnets.0.conv_shortcut.weight]"));
    assertThat(
        e.getMessage(),
        containsString("unexpected keys: [decoder.mid_block.attentions.0.to_out.1.weight]"));
  }

  @Test
  public void wrongShapeAndMixedLayoutsAreRejected() {
    WeightMap ldm = WeightMap.open(TestResources.vector("vae/vae_model.safetensors"));
    Map<String, TensorData> bad = new LinkedHashMap<>(ldm.tensors());
    bad.put("decoder.mid.block_2.conv2.bias", TensorData.ofFloats(new long[] {31}, new float[31]));
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class,
            () -> VaeCheckpoint.from(new WeightMap(ldm.source(), bad, Map.of())));
    assertThat(
        e.getMessage(),
        containsString("wrong shapes: [decoder.mid.block_2.conv2.bias [31], expected [32]]"));

    Map<String, TensorData> mixed = new LinkedHashMap<>(ldm.tensors());
    mixed.put(
        "decoder.up_blocks.0.resnets.0.norm1.weight", ldm.get("decoder.up.0.block.0.norm1.weight"));
    e =
        assertThrows(
            CheckpointFormatException.class,
            () -> VaeCheckpoint.from(new WeightMap(ldm.source(), mixed, Map.of())));
    assertThat(e.getMessage(), containsString("mixes the LDM VAE layout"));
  }

  @Test
  public void widthNotMultipleOfGroupsIsRejected() {
    Map<String, TensorData> t = new LinkedHashMap<>();
    VaeConfig odd = new VaeConfig(48, new int[] {1}, 1, 3, 3, 4, 4);
    odd.ldmShapes()
        .forEach(
            (k, s) ->
                t.put(
                    k,
                    new TensorData(
                        org.l2cbeam.core.io.DType.F32,
                        s,
                        ByteBuffer.allocate((int) TensorData.numel(s) * 4))));
    CheckpointFormatException e =
        assertThrows(
            CheckpointFormatException.class,
            () -> VaeCheckpoint.from(new WeightMap(Path.of("odd.safetensors"), t, Map.of())));
    assertThat(
        e.getMessage(),
        containsString("odd.safetensors: base width 48 is not a multiple of the 32 GroupNorm"));
  }
}
