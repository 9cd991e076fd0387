import { checkLength } from './check.js';
import { IndexOutOfRangeError } from './errors.js';
import { checkWeight, dequantizeRowAt, type Weight } from './weight.js';

/** out[T, cols] = table[ids[t], :] for each of the T ids (`embed_tokens`); rows are dequantized to f32. */
export function embedding(out: Float32Array, table: Weight, ids: ArrayLike<number>): void {
  checkWeight('embedding', table);
  const T = ids.length;
  const cols = table.cols;
  checkLength('embedding', 'out', out, T * cols, '[T = ids.length, cols]', T, cols);
  for (let t = 0; t < T; t++) {
    const id = ids[t];
    if (!Number.isInteger(id) || id < 0 || id >= table.rows) {
      throw new IndexOutOfRangeError(
        `embedding: id ${id} at position ${t} is outside the table of ${table.rows} rows; the tokenizer and the checkpoint disagree on vocab_size`,
      );
    }
    dequantizeRowAt(table, id, out, t * cols);
  }
}
