import { Environment } from '@huggingface/jinja';

/**
 * The globals transformers' Jinja environment offers chat templates, installed after the render
 * variables so that variables shadow globals (as in Python Jinja). `raise_exception` is ours so a
 * template's refusal can be told apart from a rendering bug.
 */
export function chatEnvironment(vars: Readonly<Record<string, unknown>>, raise: (msg: string) => never): Environment {
  const env = new Environment();
  for (const [k, v] of Object.entries(vars)) {
    if (v !== undefined) env.set(k, v);
  }
  const globals: Record<string, unknown> = {
    true: true,
    false: false,
    none: null,
    True: true,
    False: false,
    None: null,
    raise_exception: (msg: unknown) => raise(String(msg)),
    range,
    strftime_now: (format: string) => strftime(new Date(), String(format)),
  };
  for (const [k, v] of Object.entries(globals)) {
    if (!env.variables.has(k)) env.set(k, v);
  }
  return env;
}

/** Python's range(stop) / range(start, stop[, step]). */
function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Python `datetime.now().strftime(format)` in the C locale, for the directives chat templates use. */
export function strftime(d: Date, format: string): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const dayOfYear = Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86_400_000) + 1;
  return format.replace(/%[a-zA-Z%]/g, (t) => {
    switch (t) {
      case '%Y': return String(d.getFullYear());
      case '%y': return p2(d.getFullYear() % 100);
      case '%m': return p2(d.getMonth() + 1);
      case '%d': return p2(d.getDate());
      case '%e': return String(d.getDate()).padStart(2, ' ');
      case '%H': return p2(d.getHours());
      case '%I': return p2(((d.getHours() + 11) % 12) + 1);
      case '%M': return p2(d.getMinutes());
      case '%S': return p2(d.getSeconds());
      case '%p': return d.getHours() < 12 ? 'AM' : 'PM';
      case '%B': return MONTHS[d.getMonth()];
      case '%b': return MONTHS[d.getMonth()].slice(0, 3);
      case '%A': return DAYS[d.getDay()];
      case '%a': return DAYS[d.getDay()].slice(0, 3);
      case '%j': return String(dayOfYear).padStart(3, '0');
      case '%%': return '%';
      default: return t;
    }
  });
}
