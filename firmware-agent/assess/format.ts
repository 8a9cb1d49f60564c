/** Detail text for anomalies. Only called when an anomaly is raised, never per cycle. */

/** Units of the PROTOCOL.md §4 fields (and the derived `imu.rate`), by `device.field`. */
export const BUILTIN_UNITS: Readonly<Record<string, string>> = Object.freeze({
  'eps.batt_v': 'V',
  'eps.batt_a': 'A',
  'eps.solar_w': 'W',
  'eps.load_w': 'W',
  'eps.soc': '',
  'thermal.obc': '°C',
  'thermal.battery': '°C',
  'thermal.payload': '°C',
  'thermal.radio': '°C',
  'imu.rate': 'rad/s',
  'rad.dose_rate': 'µGy/h',
  'obc.cpu': '',
  'payload.duty': '',
  'radio.peers': '',
});

/** A number in at most 4 significant digits, without float noise ("0.18", not "0.18000000000000002"). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const r = Number(x.toPrecision(4));
  return String(r === 0 ? 0 : r);
}

function q(x: number, unit: string): string {
  return unit ? `${fmt(x)} ${unit}` : fmt(x);
}

export function limitDetail(field: string, dir: 'low' | 'high', value: number, limit: number, unit: string): string {
  return dir === 'low'
    ? `${field} ${q(value, unit)} below low limit ${q(limit, unit)}`
    : `${field} ${q(value, unit)} above high limit ${q(limit, unit)}`;
}

export function rateDetail(field: string, rate: number, max: number, unit: string): string {
  const u = unit ? `${unit}/s` : '/s';
  return `${field} changing at ${fmt(rate)} ${u}, limit ${fmt(max)} ${u}`;
}

export function staleDetail(dev: string, ageMs: number | undefined): string {
  return ageMs !== undefined && Number.isFinite(ageMs)
    ? `${dev} data stale: last sample ${fmt(ageMs)} ms old`
    : `${dev} data stale: no sample yet`;
}
