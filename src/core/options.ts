/**
 * Checking the trailing options object of a public function: a misspelt or snake_case key
 * (PyTorch's `in_dims`, `label_smoothing`) would otherwise be ignored without a word and the
 * call would quietly do something else.
 */

/** Every option name of an options type, as an object, so that the compiler checks the list is complete. */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Throws if `opts` is not an options object or has a key `names` lacks; returns `opts` (an empty
 * object for undefined or null). Keys whose value is undefined count as absent.
 */
export function checkOptions<T extends object>(op: string, opts: T | undefined | null, names: OptionNames<T>): T {
  if (opts === undefined || opts === null) return {} as T;
  const known = Object.keys(names);
  if (typeof opts !== "object" || Array.isArray(opts)) {
    const got = Array.isArray(opts) ? "an array" : typeof opts;
    throw new Error(`${op}: expected an options object ({${known.join(", ")}}), got ${got}`);
  }
  for (const key of Object.keys(opts)) {
    if (key in names || (opts as Record<string, unknown>)[key] === undefined) continue;
    const camel = key.replace(/_+([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = camel !== key && camel in names ? `did you mean ${camel}? (options are camelCase)` : `the options are ${known.join(", ") || "none"}`;
    throw new Error(`${op}: unknown option "${key}"; ${hint}`);
  }
  return opts;
}
