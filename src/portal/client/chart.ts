// Geometry of the delivery chart: one stacked bar per hour (successes under failures), scaled
// to a round maximum so the axis labels read well. Pure, for tests; the page draws it as SVG.

export interface HourCount {
  hour: string;
  success: number;
  fail: number;
}

export interface Bar {
  hour: string;
  x: number;
  width: number;
  /** Top of the success part and its height (y grows downwards, as in SVG). */
  successY: number;
  successHeight: number;
  failY: number;
  failHeight: number;
  success: number;
  fail: number;
}

export interface ChartGeometry {
  bars: Bar[];
  /** The value at the top of the axis: a round number at least the largest hour's total. */
  max: number;
  totalSuccess: number;
  totalFail: number;
}

/** The smallest of 1, 2, 5 x 10^n that is >= n (1 for 0). */
export function niceCeiling(n: number): number {
  if (n <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= n) return step * magnitude;
  }
  return 10 * magnitude;
}

export function chartGeometry(data: HourCount[], width: number, height: number): ChartGeometry {
  const totals = data.map((d) => Math.max(0, d.success) + Math.max(0, d.fail));
  const max = niceCeiling(Math.max(0, ...totals));
  const slot = data.length > 0 ? width / data.length : 0;
  const gap = slot > 4 ? 1 : 0;
  let totalSuccess = 0;
  let totalFail = 0;
  const bars = data.map((d, i) => {
    const success = Math.max(0, d.success);
    const fail = Math.max(0, d.fail);
    totalSuccess += success;
    totalFail += fail;
    const successHeight = (success / max) * height;
    const failHeight = (fail / max) * height;
    return {
      hour: d.hour,
      x: i * slot,
      width: Math.max(0, slot - gap),
      successY: height - successHeight,
      successHeight,
      failY: height - successHeight - failHeight,
      failHeight,
      success,
      fail,
    };
  });
  return { bars, max, totalSuccess, totalFail };
}
