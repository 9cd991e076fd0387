/** How far `actual` is from `expected` (the reference), accumulated in float64. */
export interface TensorMetrics {
  /** max |a − b| */
  maxAbsDiff: number;
  /** mean |a − b| */
  meanAbsDiff: number;
  /** ‖a − b‖₂ / ‖b‖₂ (0 when both are zero, Infinity when only b is) */
  relL2: number;
  /** a·b / (‖a‖₂ ‖b‖₂) (1 when both are zero, 0 when only one is) */
  cosine: number;
  /** Rows of the last axis whose argmax agree, over all rows; only for logits-like tensors. */
  argmaxAgreement?: number;
}

/**
 * Compares two tensors of the same length. NaN or Infinity anywhere in `actual` makes every metric
 * NaN, so that no threshold can pass it. With `rowSize`, also the argmax agreement of each row
 * (rows of `rowSize` elements, as in [T, vocab] logits).
 */
export function compareTensors(actual: ArrayLike<number>, expected: ArrayLike<number>, rowSize?: number): TensorMetrics {
  const n = expected.length;
  if (actual.length !== n) {
    throw new RangeError(`compareTensors: ${actual.length} values vs ${n} in the reference`);
  }
  let maxAbs = 0;
  let sumAbs = 0;
  let sumSqDiff = 0;
  let dot = 0;
  let sumSqA = 0;
  let sumSqB = 0;
  let finite = true;
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const b = expected[i];
    if (!Number.isFinite(a)) finite = false;
    const d = Math.abs(a - b);
    if (d > maxAbs) maxAbs = d;
    sumAbs += d;
    sumSqDiff += d * d;
    dot += a * b;
    sumSqA += a * a;
    sumSqB += b * b;
  }
  if (!finite) {
    const m: TensorMetrics = { maxAbsDiff: NaN, meanAbsDiff: NaN, relL2: NaN, cosine: NaN };
    if (rowSize !== undefined) m.argmaxAgreement = NaN;
    return m;
  }
  const normA = Math.sqrt(sumSqA);
  const normB = Math.sqrt(sumSqB);
  const m: TensorMetrics = {
    maxAbsDiff: maxAbs,
    meanAbsDiff: n === 0 ? 0 : sumAbs / n,
    relL2: normB > 0 ? Math.sqrt(sumSqDiff) / normB : sumSqDiff > 0 ? Infinity : 0,
    // sqrt of the product: exactly 1 for identical tensors (sqrt(x·x) = |x| in IEEE arithmetic)
    cosine: normA > 0 && normB > 0 ? Math.min(1, Math.max(-1, dot / Math.sqrt(sumSqA * sumSqB))) : normA === normB ? 1 : 0,
  };
  if (rowSize !== undefined) m.argmaxAgreement = argmaxAgreement(actual, expected, rowSize);
  return m;
}

/** Index of the largest value in data[start, start + len) (the first one on ties, as torch.argmax on CPU). */
export function argmax(data: ArrayLike<number>, start = 0, len = data.length - start): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < len; i++) {
    const v = data[start + i];
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

/** Largest minus second-largest value of data[start, start + len). */
export function top2Margin(data: ArrayLike<number>, start = 0, len = data.length - start): number {
  let first = -Infinity;
  let second = -Infinity;
  for (let i = 0; i < len; i++) {
    const v = data[start + i];
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) {
      second = v;
    }
  }
  return first - second;
}

/** Fraction of rows (of `rowSize` elements) whose argmax is the same in both. */
export function argmaxAgreement(actual: ArrayLike<number>, expected: ArrayLike<number>, rowSize: number): number {
  if (!(rowSize > 0) || expected.length % rowSize !== 0 || actual.length !== expected.length) {
    throw new RangeError(`argmaxAgreement: ${actual.length} and ${expected.length} values are not rows of ${rowSize}`);
  }
  const rows = expected.length / rowSize;
  if (rows === 0) return 1;
  let same = 0;
  for (let r = 0; r < rows; r++) {
    if (argmax(actual, r * rowSize, rowSize) === argmax(expected, r * rowSize, rowSize)) same++;
  }
  return same / rows;
}
