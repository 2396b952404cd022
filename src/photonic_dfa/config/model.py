"""The ``[model]`` section: channel plan, calibration, fabrication, readout noise, energy, tiling.

Default values are literature values, each cited where it is set (below), not tuned to a training
result. References:

* [Filipovich22] M. J. Filipovich et al., "Silicon photonic architecture for training deep neural
  networks with direct feedback alignment", Optica 9, 1323 (2022), and its IPC 2020 precursor
  (DESIGN.md): per-MAC Gaussian N(0.03, 0.618)·max|e|; ADC 76 mW at 5 GS/s; OPS equation.
* [ITU] ITU-T G.694.1, DWDM frequency grid: 100 GHz ≈ 0.8 nm spacing at 1550 nm.
* [Vivien12] L. Vivien et al., "Zero-bias 40 Gbit/s germanium waveguide photodetector on silicon",
  Opt. Express 20, 1096 (2012): responsivity 0.8 A/W at 1550 nm.
* [Bahadori16] M. Bahadori et al., "Comprehensive design space exploration of silicon photonic
  interconnects", J. Lightwave Technol. 34, 2975 (2016): link budgets with laser wall-plug
  efficiency, grating-coupler / modulator losses, receiver sensitivity.
* [Razavi12] B. Razavi, "Design of Integrated Circuits for Optical Communications", 2nd ed.
  (Wiley, 2012): input-referred noise current of GHz-bandwidth TIAs, order 10–20 pA/√Hz.
* [Agrawal10] G. P. Agrawal, "Fiber-Optic Communication Systems", 4th ed. (Wiley, 2010): RIN of
  DFB semiconductor lasers −140 … −160 dB/Hz.
* [Tait18] A. N. Tait et al., "Feedback control for microring weight banks", Opt. Express 26,
  26422 (2018): 5.1 bits, feedback from the bank's own photodetector.
* [Lu17] Z. Lu et al., "Performance prediction for silicon photonics integrated circuits with
  layout-dependent correlated manufacturing variability", Opt. Express 25, 9712 (2017): within-die
  ring resonance variations of order 0.5–1 nm (σ).
* [Timurdogan14] E. Timurdogan et al., "An ultralow power athermal silicon modulator", Nat.
  Commun. 5, 4008 (2014): microring modulator switching energy of order fJ/bit; with driver and
  DAC the energy per analogue symbol is dominated by the electronics (order pJ).
* [Padmaraju14] K. Padmaraju and K. Bergman, "Resolving the thermal challenges for silicon
  microring resonator devices", Nanophotonics 3, 269 (2014): Si rings shift ~0.08 nm/K; a TEC holds
  a stage to ~0.01 K; an unstabilised chip follows the lab ambient, ~0.1–1 K over hours; local
  (per-ring) heating from neighbouring heaters and absorbed optical power.
* [Reed10] G. T. Reed et al., "Silicon optical modulators", Nat. Photon. 4, 518 (2010):
  Mach–Zehnder modulators with extinction ratios of ~20–30 dB (sin² transfer); carrier-depletion
  ring modulators ~6–10 dB (Lorentzian transfer, cf. Xu et al., Nature 435, 325 (2005)).
* [Zah97] C. E. Zah et al., "Multiwavelength DFB laser arrays with integrated combiner and optical
  amplifier for WDM optical networks", IEEE J. Sel. Top. Quantum Electron. 3, 584 (1997): per-line
  output spread of ±0.5–1 dB across a DFB array; the RIN of the lines differs by a few dB.
* [Vivien12] (above) and Ge balanced receivers: responsivity mismatch of the two diodes ~1–5 %.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from photonic_dfa.config._base import StageConfig

__all__ = ["ModelConfig"]

# ---- literature defaults (shared with photonic_dfa.network_model.artifact.ReadoutParams) -------
#: [Filipovich22] the paper's per-MAC Gaussian error, in units of max|e|
PAPER_NOISE_MEAN = 0.03
PAPER_NOISE_STD = 0.618
#: a DFB laser line of 10 dBm per channel [Bahadori16]
DEFAULT_LASER_POWER_MW = 10.0
#: laser → bank: fibre-to-chip grating coupler ≈ 3 dB + modulator insertion ≈ 2 dB + splitter
#: excess ≈ 1 dB [Bahadori16]; the 1/d_C split is added separately
DEFAULT_LINK_LOSS_DB = 6.0
#: Ge waveguide photodiode at 1550 nm [Vivien12]
DEFAULT_RESPONSIVITY_A_W = 0.8
#: Nyquist bandwidth of the 5 GS/s ADC [Filipovich22]
DEFAULT_ADC_GSPS = 5.0
DEFAULT_BANDWIDTH_GHZ = DEFAULT_ADC_GSPS / 2
#: input-referred TIA noise current density [Razavi12]
DEFAULT_TIA_NOISE_PA_RTHZ = 20.0
#: DFB laser RIN [Agrawal10]
DEFAULT_RIN_DB_HZ = -150.0
#: 8-bit ADC at 5 GS/s (the class of the 76 mW converter of [Filipovich22])
DEFAULT_ADC_BITS = 8
DEFAULT_ENCODING: Literal["offset", "two_pass"] = "offset"


class ModelConfig(StageConfig):
    """Settings of ``photonic-dfa extract`` / ``budget`` (the network-model stage).

    Channel plan: ``rows_per_bank`` channels (one per ring of the layout's banks) at
    ``channel_spacing_nm``; the grid is placed at ``center_wl_nm`` or, if unset, aligned to the
    rings' cold resonances so that every channel lies at least ``blue_margin_nm`` to the red of its
    ring (heaters only red-shift). The heater limit is ``[circuit] heater_max_mW``.

    Defaults describe a realistic chip: fabrication offsets σ = 0.5 nm [Lu17] and feedback
    calibration from the chip's own readout [Tait18].
    """

    replaced_keys: ClassVar[dict[str, str]] = {
        "recal_settle_us": "recalibration settles like the heater driver, heater_tau_us × "
        "ln(2^heater_dac_bits); set those instead",
    }

    # ---- channel plan -------------------------------------------------------------------------
    channel_spacing_nm: float = Field(
        0.8, gt=0.0, le=50.0, description="WDM channel spacing (nm); 100 GHz grid [ITU]"
    )
    center_wl_nm: float | None = Field(
        None,
        ge=1500.0,
        le=1600.0,
        description="centre of the channel grid (nm); unset: aligned to the cold resonances",
    )
    blue_margin_nm: float | None = Field(
        None,
        ge=0.0,
        le=20.0,
        description=(
            "minimum red offset of each channel from its ring's cold resonance (nm); unset: "
            "0.3 nm + 3·fab_sigma_nm, so heaters (red-shift only) can reach every channel"
        ),
    )
    # ---- calibration -------------------------------------------------------------------------
    calibration: Literal["model", "feedback", "fitted"] = Field(
        "feedback",
        description=(
            "'model': heaters solved with perfect knowledge of the circuit; 'feedback': from the "
            "chip's own noisy readout of its weights, like a real control loop [Tait18]; 'fitted': "
            "as 'feedback', but the controller's model is its own Lorentzian fit of measured "
            "heater sweeps (no circuit model)"
        ),
    )
    iterations: int = Field(
        12, ge=1, le=500, description="Levenberg-Marquardt iterations (model solve)"
    )
    feedback_iterations: int = Field(
        8, ge=1, le=500, description="measure-and-correct iterations of feedback calibration"
    )
    feedback_averages: int = Field(
        16, ge=1, le=100_000, description="ADC readings averaged per weight measurement"
    )
    damping: float = Field(
        1e-3, gt=0.0, le=1e3, description="initial Levenberg-Marquardt damping λ (relative)"
    )
    weight_range_fraction: float = Field(
        0.9,
        gt=0.0,
        le=1.0,
        description="fraction of the smallest achievable |weight| that |B| = 1 is mapped to",
    )
    unreachable: Literal["report", "error"] = Field(
        "report",
        description="rings that cannot reach their target: listed in the report, or an error",
    )
    yield_min_bits: float | None = Field(
        None,
        ge=0.0,
        le=32.0,
        description="a bank is within tolerance at this precision (bits); unset: adc_enob, "
        "else adc_bits",
    )
    # ---- fabrication --------------------------------------------------------------------------
    fab_sigma_nm: float = Field(
        0.5,
        ge=0.0,
        le=10.0,
        description="std of random ring resonance offsets (nm); 0.5 nm is of the order of [Lu17]",
    )
    fab_seed: int = Field(0, ge=0, lt=2**31, description="seed of the fabrication offsets")
    # ---- readout and encoding -----------------------------------------------------------------
    encoding: Literal["offset", "two_pass"] = Field(
        DEFAULT_ENCODING, description="signed encoding of e on optical powers"
    )
    noise_model: Literal["physical", "paper_gaussian"] = Field(
        "physical", description="per-MAC noise: physical readout chain or the paper's Gaussian"
    )
    laser_power_mW: float = Field(
        DEFAULT_LASER_POWER_MW, gt=0.0, le=1000.0, description="laser power per channel (mW)"
    )
    link_loss_dB: float = Field(
        DEFAULT_LINK_LOSS_DB, ge=0.0, le=60.0, description="laser → bank loss besides the split"
    )
    responsivity_A_W: float = Field(
        DEFAULT_RESPONSIVITY_A_W, gt=0.0, le=1.3, description="photodiode responsivity (A/W)"
    )
    bandwidth_GHz: float | None = Field(
        None, gt=0.0, le=500.0, description="receiver noise bandwidth (GHz); unset: adc_gsps/2"
    )
    tia_noise_pA_rtHz: float = Field(
        DEFAULT_TIA_NOISE_PA_RTHZ, ge=0.0, le=1e4, description="TIA input noise (pA/√Hz)"
    )
    rin_dB_Hz: float = Field(DEFAULT_RIN_DB_HZ, ge=-200.0, le=-80.0, description="laser RIN")
    adc_bits: int = Field(DEFAULT_ADC_BITS, ge=1, le=24, description="ADC resolution (bits)")
    adc_enob: float | None = Field(
        None,
        ge=1.0,
        le=24.0,
        description="effective number of bits of the converter (<= adc_bits): its own Gaussian "
        "noise makes up the difference (an 8-bit oscilloscope at GS/s: ~6 [Walden99]); unset: "
        "an ideal quantiser",
    )
    adc_range_fraction: float = Field(
        1.0, gt=0.0, le=1.0, description="ADC full scale / largest possible BPD signal"
    )
    paper_noise_mean: float = Field(PAPER_NOISE_MEAN, ge=-10.0, le=10.0)
    paper_noise_std: float = Field(PAPER_NOISE_STD, ge=0.0, le=100.0)
    # ---- tiling ----------------------------------------------------------------------------------
    banks: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="physical banks d_C (unset: the layout's); more than the layout's repeat them",
    )
    # ---- energy and throughput ----------------------------------------------------------------
    adc_gsps: float = Field(
        DEFAULT_ADC_GSPS, gt=0.0, le=1000.0, description="ADC sample rate (GS/s) [Filipovich22]"
    )
    adc_power_mW: float = Field(
        76.0, ge=0.0, le=1e4, description="power of one ADC at adc_gsps (mW) [Filipovich22]"
    )
    wall_plug_efficiency: float = Field(
        0.2, gt=0.0, le=1.0, description="laser wall-plug efficiency (10–30 % [Bahadori16])"
    )
    modulator_pJ_per_symbol: float = Field(
        1.0,
        ge=0.0,
        le=1e3,
        description="modulator + driver + DAC energy per analogue symbol (pJ) [Timurdogan14]",
    )
    tia_power_mW: float = Field(
        10.0, ge=0.0, le=1e4, description="power of one TIA at this bandwidth (mW) [Razavi12]"
    )
    # ---- misc ----------------------------------------------------------------------------------
    seed: int = Field(0, ge=0, lt=2**31, description="seed of the target matrices B_k ~ U[-1, 1]")
    # ---- drift and encoding hardware (issue 13) ----
    # drift is off by default (a chip at constant temperature); the presets turn it on:
    # "integrated" a TEC-stabilised stage, "bench" an unstabilised one (config/presets/)
    drift_ambient_K: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="std of the chip's global temperature (K, OU process); 0.01 K: a TEC-stabilised "
        "stage, 0.1–1 K: unstabilised lab ambient [Padmaraju14]",
    )
    drift_ambient_tau_s: float = Field(
        600.0,
        gt=0.0,
        le=1e7,
        description="correlation time of the global term (s): TEC/room regulation cycles of "
        "minutes [Padmaraju14]",
    )
    drift_local_K: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="std of each ring's own temperature (K, independent OU processes): heating "
        "from neighbouring heaters and absorbed light [Padmaraju14]",
    )
    drift_local_tau_s: float = Field(
        1.0, gt=0.0, le=1e7, description="correlation time of the per-ring terms (s)"
    )
    drift_batch_s: float = Field(
        0.1,
        gt=0.0,
        le=3600.0,
        description="chip time per training batch (s): host update, weight upload, readout",
    )
    drift_duration_s: float = Field(
        3600.0, gt=0.0, le=1e7, description="time span of the drift report and figure (s)"
    )
    drift_seed: int = Field(0, ge=0, lt=2**31, description="seed of the temperature processes")
    recal_every_batches: int | None = Field(
        None, ge=1, le=10**9, description="recalibrate every K batches (unset: no period)"
    )
    recal_threshold_B: float | None = Field(
        0.01,
        gt=0.0,
        le=10.0,
        description="recalibrate when the monitored drift error (RMS, units of B) exceeds this "
        "(unset: no threshold)",
    )
    modulator: Literal["ideal", "mzm", "ring"] = Field(
        "ideal",
        description="value modulator of each channel: ideal (linear), Mach–Zehnder (sin²) or "
        "ring (Lorentzian) transfer [Reed10]",
    )
    modulator_er_dB: float = Field(
        25.0,
        gt=0.0,
        le=60.0,
        description="modulator extinction ratio (dB): MZM 20–30, ring 6–10 [Reed10]",
    )
    modulator_predistort_points: int = Field(
        0,
        ge=0,
        le=4096,
        description="points of the modulator's own calibration table used to pre-distort the "
        "drive (0: no pre-distortion; else >= 2)",
    )
    laser_spread_dB: float = Field(
        0.0, ge=0.0, le=6.0, description="std of the static per-laser power spread (dB) [Zah97]"
    )
    laser_rin_spread_dB: float = Field(
        0.0, ge=0.0, le=20.0, description="std of the per-laser RIN about rin_dB_Hz (dB) [Zah97]"
    )
    laser_seed: int = Field(0, ge=0, lt=2**31, description="seed of the per-laser spreads")
    bpd_mismatch: float = Field(
        0.0,
        ge=-0.5,
        le=0.5,
        description="relative responsivity mismatch (drop − through)/R of the balanced "
        "detectors, 0.01–0.05 for Ge pairs [Vivien12]",
    )
    # ---- heater drivers (issue 13) -------------------------------------------------------------
    # defaults and references: photonic_dfa.network_model.drivers ([AD5370], [Liu22], [Harris14])
    heater_dac_bits: int = Field(
        16, ge=1, le=24, description="resolution of each heater's voltage DAC (bits) [AD5370]"
    )
    heater_dac_full_scale_V: float | None = Field(
        None,
        gt=0.0,
        le=100.0,
        description="DAC full-scale voltage (V); unset: matched to [circuit] heater_max_mW",
    )
    heater_resistance_ohm: float = Field(
        1000.0, gt=0.0, le=1e6, description="heater resistance R0 (Ω), TiN/NiCr thin film [Liu22]"
    )
    heater_tcr_per_K: float = Field(
        0.0,
        ge=0.0,
        le=0.01,
        description="heater TCR α, R = R0(1 + αΔT) (1/K); 0: constant R, NiCr ≈ 1e-4 [Liu22]",
    )
    heater_tau_us: float = Field(
        2.0, gt=0.0, le=1e4, description="heater + ring thermal time constant (µs) [Liu22]"
    )
    errors_per_setting: int = Field(
        64,
        ge=1,
        le=10**9,
        description="error vectors each heater setting serves when banks are re-tuned (a batch)",
    )

    @model_validator(mode="after")
    def _check(self) -> ModelConfig:
        if self.adc_enob is not None and self.adc_enob > self.adc_bits:
            raise ValueError(
                f"adc_enob = {self.adc_enob}: the effective bits cannot exceed adc_bits = "
                f"{self.adc_bits}"
            )
        if self.modulator_predistort_points == 1:
            raise ValueError(
                "modulator_predistort_points = 1: a pre-distortion table needs >= 2 points "
                "(0 disables it)"
            )
        return self

    def resolved_blue_margin_nm(self) -> float:
        """The channel-to-cold-resonance margin used (nm)."""
        if self.blue_margin_nm is not None:
            return self.blue_margin_nm
        return 0.3 + 3.0 * self.fab_sigma_nm

    def resolved_bandwidth_GHz(self) -> float:
        """Receiver noise bandwidth (GHz): ``bandwidth_GHz`` or the ADC's Nyquist bandwidth."""
        return self.bandwidth_GHz if self.bandwidth_GHz is not None else self.adc_gsps / 2

    def adc_noise_lsb(self) -> float:
        """Std of the converter's own noise in LSB: an ideal quantiser of ``adc_enob`` bits has
        ``LSB_e²/12 = LSB²/12 + σ²``, so ``σ = LSB·√((4^(b − ENOB) − 1)/12)`` (0 when unset)."""
        if self.adc_enob is None:
            return 0.0
        return math.sqrt((4.0 ** (self.adc_bits - self.adc_enob) - 1.0) / 12.0)

    def resolved_yield_min_bits(self) -> float:
        """Precision a bank needs to count as within tolerance (bits)."""
        if self.yield_min_bits is not None:
            return float(self.yield_min_bits)
        return float(self.adc_enob if self.adc_enob is not None else self.adc_bits)

    # ---- layout-aware fabrication (study) ----
    # Width and thickness of the silicon as spatially correlated Gaussian random fields over the
    # die, read at each ring's centre (layout.json) and turned into resonance shifts with dλ/dw,
    # dλ/dt derived from simphony's strip-waveguide data (photonic_dfa.network_model.fabrication).
    # σ and correlation lengths of the order reported for SOI wafers by [Lu17] (widths of a few
    # nm, thickness ~1 nm σ, correlation over mm on the wafer, sub-mm within a die) and by
    # L. Chrostowski et al., "Impact of fabrication non-uniformity on chip-scale silicon photonic
    # integrated circuits", OFC 2014, Th2A.37 [Chrostowski14].
    fab_model: Literal["independent", "layout"] = Field(
        "independent",
        description=(
            "'independent': N(0, fab_sigma_nm²) per ring; 'layout': correlated width/thickness "
            "fields over the die at the rings' positions (fab_sigma_nm is then derived)"
        ),
    )
    fab_width_sigma_nm: float = Field(
        1.0, ge=0.0, le=50.0, description="std of the waveguide width field (nm) [Lu17]"
    )
    fab_thickness_sigma_nm: float = Field(
        0.5, ge=0.0, le=50.0, description="std of the silicon thickness field (nm) [Chrostowski14]"
    )
    fab_width_corr_um: float = Field(
        200.0, gt=0.0, le=1e6, description="correlation length of the width field (µm) [Lu17]"
    )
    fab_thickness_corr_um: float = Field(
        1000.0, gt=0.0, le=1e6, description="correlation length of the thickness field (µm)"
    )
