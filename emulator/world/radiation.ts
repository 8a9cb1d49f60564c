/**
 * Radiation dose rate behind typical cubesat shielding, µGy/h, as a function of the
 * sub-satellite point: a galactic-cosmic-ray background that grows toward the poles (weaker
 * geomagnetic shielding), plus the South Atlantic Anomaly as a Gaussian bump elongated in
 * longitude. Orders of magnitude only (ISS-like LEO: a few µGy/h outside, tens to hundreds
 * inside the SAA); no altitude dependence, no solar particle events, no horns of the outer belt.
 */
import type { Rng } from './rng.js';
import { DEG } from './vec.js';

export interface RadiationConfig {
  /** Background at the equator, µGy/h. Default 3. */
  backgroundEquatorUGyH: number;
  /** Background at the poles, µGy/h (rises as sin² latitude). Default 15. */
  backgroundPoleUGyH: number;
  /** Extra dose rate at the SAA centre, µGy/h. Default 120 (≈ 40× the equatorial background). */
  saaPeakUGyH: number;
  /** SAA centre, degrees. Default −25°, −50°. */
  saaLatDeg: number;
  saaLonDeg: number;
  /** Gaussian widths (1σ), degrees. Default 10° in latitude, 25° in longitude. */
  saaSigmaLatDeg: number;
  saaSigmaLonDeg: number;
}

export const DEFAULT_RADIATION_CONFIG: Readonly<RadiationConfig> = Object.freeze({
  backgroundEquatorUGyH: 3,
  backgroundPoleUGyH: 15,
  saaPeakUGyH: 120,
  saaLatDeg: -25,
  saaLonDeg: -50,
  saaSigmaLatDeg: 10,
  saaSigmaLonDeg: 25,
});

/** Noise-free dose rate at a sub-satellite point, µGy/h. */
export function doseRateUGyH(latRad: number, lonRad: number, cfg: Readonly<RadiationConfig> = DEFAULT_RADIATION_CONFIG): number {
  const s = Math.sin(latRad);
  const background = cfg.backgroundEquatorUGyH + (cfg.backgroundPoleUGyH - cfg.backgroundEquatorUGyH) * s * s;
  const dLat = (latRad - cfg.saaLatDeg * DEG) / (cfg.saaSigmaLatDeg * DEG);
  // Longitude difference wrapped to [−π, π) so the bump is continuous across the date line.
  let dl = lonRad - cfg.saaLonDeg * DEG;
  dl -= 2 * Math.PI * Math.floor((dl + Math.PI) / (2 * Math.PI));
  const dLon = dl / (cfg.saaSigmaLonDeg * DEG);
  return background + cfg.saaPeakUGyH * Math.exp(-0.5 * (dLat * dLat + dLon * dLon));
}

/** A detector reading: the dose rate with multiplicative Gaussian noise (1σ `noiseFraction`), never negative. */
export function sampleDoseRate(
  latRad: number,
  lonRad: number,
  rng: Rng,
  noiseFraction = 0.1,
  cfg: Readonly<RadiationConfig> = DEFAULT_RADIATION_CONFIG,
): number {
  const v = doseRateUGyH(latRad, lonRad, cfg) * (1 + noiseFraction * rng.gaussian());
  return v > 0 ? v : 0;
}
