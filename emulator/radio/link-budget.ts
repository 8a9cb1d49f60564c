/**
 * Radio link budget for the inter-satellite link: free-space path loss at the carrier
 * frequency, transmit power and antenna gains against the receiver's sensitivity. Two nodes
 * are "in range" when they have line of sight and the received power clears the sensitivity;
 * with the defaults (437 MHz UHF, 30 dBm, 2 dBi each end, −125 dBm) that is ≈ 4 900 km.
 */
export interface LinkBudget {
  frequencyMhz: number;
  /** Transmit power, dBm (the radio's `tx_power` op changes it per node). */
  txPowerDbm: number;
  /** Sum of both antennas' gains, dBi. */
  antennaGainsDbi: number;
  sensitivityDbm: number;
}

export const DEFAULT_LINK_BUDGET: Readonly<LinkBudget> = Object.freeze({
  frequencyMhz: 437,
  txPowerDbm: 30,
  antennaGainsDbi: 4,
  sensitivityDbm: -125,
});

/** Free-space path loss, dB, for a distance in metres. */
export function fsplDb(distanceM: number, frequencyMhz: number): number {
  const km = Math.max(distanceM / 1000, 0.001);
  return 20 * Math.log10(km) + 20 * Math.log10(frequencyMhz) + 32.44;
}

/** Received power, dBm. */
export function rssiDbm(distanceM: number, txPowerDbm: number, b: Readonly<LinkBudget>): number {
  return txPowerDbm + b.antennaGainsDbi - fsplDb(distanceM, b.frequencyMhz);
}

/** The longest distance, m, at which a transmitter at `txPowerDbm` is still heard. */
export function maxRangeM(txPowerDbm: number, b: Readonly<LinkBudget>): number {
  const fspl = txPowerDbm + b.antennaGainsDbi - b.sensitivityDbm;
  return 1000 * 10 ** ((fspl - 32.44 - 20 * Math.log10(b.frequencyMhz)) / 20);
}
