// Selection over candidate token ids without sorting them: three-way quickselect on the logit value,
// so ties always fall on the same side of a cut. `ids[a..b)` are token ids, `values[id]` their
// processed logits, `exps[id]` = exp(value - max).

/**
 * Reorders ids[a..b) into [values > pivot][values == pivot][values < pivot]; writes the two
 * boundaries to bounds[0], bounds[1].
 */
function partition(ids: Int32Array, a: number, b: number, values: Float32Array, pivot: number, bounds: Int32Array): void {
  let gt = a;
  let i = a;
  let lt = b;
  while (i < lt) {
    const id = ids[i];
    const v = values[id];
    if (v > pivot) {
      ids[i++] = ids[gt];
      ids[gt++] = id;
    } else if (v < pivot) {
      ids[i] = ids[--lt];
      ids[lt] = id;
    } else i++;
  }
  bounds[0] = gt;
  bounds[1] = lt;
}

/** Median of the values at the first, middle and last position of ids[a..b). */
function pivotOf(ids: Int32Array, a: number, b: number, values: Float32Array): number {
  const x = values[ids[a]];
  const y = values[ids[(a + b) >>> 1]];
  const z = values[ids[b - 1]];
  return x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
}

/** The k-th largest value among ids[0..n) (1 ≤ k ≤ n): more than k - 1 values are ≥ it, fewer than k are > it. */
export function kthLargest(ids: Int32Array, n: number, k: number, values: Float32Array, bounds: Int32Array): number {
  let a = 0;
  let b = n;
  let need = k;
  for (;;) {
    const pivot = pivotOf(ids, a, b, values);
    partition(ids, a, b, values, pivot, bounds);
    const greater = bounds[0] - a;
    const equal = bounds[1] - bounds[0];
    if (greater >= need) b = bounds[0];
    else if (greater + equal >= need) return pivot;
    else {
      need -= greater + equal;
      a = bounds[1];
    }
  }
}

/**
 * Top-p over ids[0..n): the smallest value v kept, where a value is kept when the mass of the values
 * strictly above it, over `norm`, is < topP (0 < topP < 1).
 */
export function topPCutoff(ids: Int32Array, n: number, values: Float32Array, exps: Float64Array, norm: number, topP: number, bounds: Int32Array): number {
  let a = 0;
  let b = n;
  let above = 0; // mass of everything known to lie above ids[a..b); invariant: above / norm < topP
  let cutoff = values[ids[0]];
  while (a < b) {
    const pivot = pivotOf(ids, a, b, values);
    partition(ids, a, b, values, pivot, bounds);
    let greater = 0;
    for (let i = a; i < bounds[0]; i++) greater += exps[ids[i]];
    if ((above + greater) / norm >= topP) {
      b = bounds[0]; // the cut lies among the greater values (non-empty: greater > 0 by the invariant)
      continue;
    }
    let equal = 0;
    for (let i = bounds[0]; i < bounds[1]; i++) equal += exps[ids[i]];
    above += greater + equal;
    cutoff = pivot;
    if (above / norm >= topP) return cutoff;
    a = bounds[1];
  }
  return cutoff;
}
