// Declared types and ranges of a rule's parameters (`paramTypes` in defineRule). A wrong value in a config
// (`pngCompression: 99`, `quality: [1, 2]`) is caught when the config is read, naming the file, the rule and
// the parameter, instead of surfacing later as a confusing failure of every image.
import type { Json } from './rule.js';

export type ParamType =
  /** A whole number (or any finite number for 'number'), within [min, max] when given. */
  | { readonly type: 'integer' | 'number'; readonly min?: number; readonly max?: number }
  /** Text, optionally one of a fixed list. */
  | { readonly type: 'string'; readonly oneOf?: readonly string[] }
  | { readonly type: 'boolean' };

export type ParamTypes = Readonly<Record<string, ParamType>>;

/** What the parameter takes, in words: "an integer from 0 to 9". */
export function describeParamType(type: ParamType): string {
  switch (type.type) {
    case 'integer':
    case 'number': {
      const what = type.type === 'integer' ? 'an integer' : 'a number';
      if (type.min !== undefined && type.max !== undefined) return `${what} from ${type.min} to ${type.max}`;
      if (type.min !== undefined) return `${what} ≥ ${type.min}`;
      if (type.max !== undefined) return `${what} ≤ ${type.max}`;
      return what;
    }
    case 'string':
      return type.oneOf ? `one of ${type.oneOf.map((o) => JSON.stringify(o)).join(', ')}` : 'text';
    case 'boolean':
      return 'true or false';
  }
}

/** Whether `value` is what `type` declares. */
export function paramMatches(value: Json | undefined, type: ParamType): boolean {
  switch (type.type) {
    case 'integer':
    case 'number':
      return (
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (type.type === 'number' || Number.isInteger(value)) &&
        (type.min === undefined || value >= type.min) &&
        (type.max === undefined || value <= type.max)
      );
    case 'string':
      return typeof value === 'string' && (type.oneOf === undefined || type.oneOf.includes(value));
    case 'boolean':
      return typeof value === 'boolean';
  }
}

/**
 * The first parameter of `params` that breaks its declared type, as `params.<rule>.<name> is <value>, but
 * rule <rule> takes <type>`; undefined when every declared parameter is fine. Undeclared ones are not checked.
 */
export function paramProblem(ruleName: string, types: ParamTypes | undefined, params: Readonly<Record<string, Json>>): string | undefined {
  for (const [name, value] of Object.entries(params)) {
    const type = types?.[name];
    if (type === undefined || paramMatches(value, type)) continue;
    return `params.${ruleName}.${name} is ${JSON.stringify(value) ?? String(value)}, but rule ${ruleName} takes ${describeParamType(type)} for ${name}`;
  }
  return undefined;
}
