// algo.Percentile (docs/reference/api.md): counts samples into buckets (upper limits, ascending)
// and estimates a percentile by interpolating inside the bucket that reaches it, as Pipy does.
'use strict';
(function (algo) {
  class Percentile {
    constructor(buckets) {
      if (!Array.isArray(buckets)) throw new TypeError('Percentile: argument #1 expects an array');
      this._limits = buckets.map(Number);
      this._counts = new Array(this._limits.length).fill(0);
      this._total = 0;
    }
    reset() { this._counts.fill(0); this._total = 0; }
    // A sample above the last bucket is not counted.
    observe(sample) {
      sample = Number(sample);
      const i = this._limits.findIndex(l => sample <= l);
      if (i >= 0) { this._counts[i]++; this._total++; }
    }
    calculate(percentage) {
      percentage = Math.trunc(Number(percentage));
      if (!(percentage > 0)) return 0;
      const target = Math.floor(this._total * percentage / 100);
      let count = 0;
      for (let i = 0; i < this._limits.length; i++) {
        count += this._counts[i];
        if (count >= target) {
          const lo = i > 0 ? this._limits[i - 1] : 0, hi = this._limits[i];
          return hi - (hi - lo) * (count - target) / this._counts[i];
        }
      }
      return Infinity;
    }
  }
  algo.Percentile = Percentile;
})(globalThis.algo);
