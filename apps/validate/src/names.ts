/**
 * The reference tensor names this checker knows (REFERENCE_FORMAT.md), and their place in the
 * forward pass: input_ids → embed → layers.0.router_logits → layers.0 → … → norm → logits →
 * decode_logits. Everything else in a fixture is reported as unchecked.
 */
export type KnownTensor =
  | { role: 'input_ids' }
  | { role: 'embed' }
  | { role: 'router_logits'; layer: number }
  | { role: 'layer'; layer: number }
  | { role: 'norm' }
  | { role: 'logits' }
  | { role: 'decode_logits' };

const LAYER = /^layers\.(0|[1-9]\d*)$/;
const ROUTER = /^layers\.(0|[1-9]\d*)\.router_logits$/;

/** What a reference tensor name means, or null for a name this checker does not compare. */
export function knownTensor(name: string): KnownTensor | null {
  switch (name) {
    case 'input_ids':
    case 'embed':
    case 'norm':
    case 'logits':
    case 'decode_logits':
      return { role: name };
  }
  let m = LAYER.exec(name);
  if (m) return { role: 'layer', layer: Number(m[1]) };
  m = ROUTER.exec(name);
  if (m) return { role: 'router_logits', layer: Number(m[1]) };
  return null;
}

/** True for tensors whose last axis is a vocabulary or expert set, where argmax agreement means something. */
export function isLogitsLike(t: KnownTensor): boolean {
  return t.role === 'logits' || t.role === 'decode_logits' || t.role === 'router_logits';
}

/**
 * Sort key in forward order. Within layer i the router runs before the layer's output exists, so
 * `layers.i.router_logits` comes before `layers.i`.
 */
export function forwardOrder(t: KnownTensor): number {
  switch (t.role) {
    case 'input_ids':
      return 0;
    case 'embed':
      return 1;
    case 'router_logits':
      return 2 + 2 * t.layer;
    case 'layer':
      return 3 + 2 * t.layer;
    case 'norm':
      return Number.MAX_SAFE_INTEGER - 3;
    case 'logits':
      return Number.MAX_SAFE_INTEGER - 2;
    case 'decode_logits':
      return Number.MAX_SAFE_INTEGER - 1;
  }
}
