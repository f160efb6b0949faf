/**
 * Request-body validation against LINE's own OpenAPI definitions (line/line-openapi).
 *
 * The catch (see /work/shared/reference/line-platform.md): `Message`, `Action`, `FlexContainer`,
 * `FlexComponent`, `Template`, `ImagemapAction`, ... carry an OpenAPI `discriminator` WITHOUT a
 * `oneOf`, so a plain JSON-schema validator only checks the handful of common fields of the base
 * schema (`type`, `quickReply`, `sender` for `Message`). Here every schema that has a
 * `discriminator.mapping` gets a companion `<Name>__dispatch` schema that requires the
 * discriminator property, restricts it to the mapped values and, through `if`/`then`, validates the
 * object against the mapped subtype schema. Every `$ref` to the base is rewritten to the dispatch
 * version, EXCEPT the `$ref` that a subtype uses inside its own `allOf` to inherit the base's common
 * fields (rewriting that one would recurse forever: TextMessage -> Message__dispatch -> TextMessage).
 *
 * OpenAPI 3.0 bits ajv doesn't know are converted or dropped: `nullable`, `example(s)`,
 * `externalDocs`, `discriminator`, `x-*`; formats come from ajv-formats (int32, int64, uri, uuid, ...)
 * and any other format is accepted as-is.
 *
 * Loading + transforming + compiling is slow-ish, so it happens once per process per spec file
 * (module-level cache) and validators are compiled lazily per schema and then reused.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as ajvFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

/** One problem, in the shape of LINE's `ErrorDetail` (`details[]` of a 400 answer). */
export interface SchemaIssue {
  message: string;
  /** JSON field path like LINE reports it, e.g. `messages[0].quickReply.items[2].action.label`. */
  property: string;
}

export interface LineOpenApi {
  readonly specFile: string;
  /** Milliseconds spent reading the YAML, transforming it and creating the ajv instance. */
  readonly loadMs: number;
  /** Milliseconds spent compiling validators so far (lazy, per schema, cached). */
  readonly compileMs: number;
  /** Names of every component schema (after transformation, includes the `__dispatch` ones). */
  schemaNames(): string[];
  /** The request-body schema name for an operation, e.g. ('POST','/v2/bot/message/push') -> 'PushMessageRequest'. */
  requestSchemaFor(method: string, urlPath: string): string | undefined;
  /**
   * Validate a value against a component schema. Names of discriminator bases (e.g. 'Message',
   * 'Action', 'FlexContainer') are validated through their dispatch version automatically.
   */
  validateComponent(name: string, value: unknown, propertyPrefix?: string): SchemaIssue[];
  /** Compile the validators for these schema names now (they are otherwise compiled on first use). */
  precompile(names: string[]): void;
  /** Validate a request body; `null` when the operation has no JSON request schema. */
  validateRequest(method: string, urlPath: string, body: unknown): SchemaIssue[] | null;
}

const SCHEMA_PREFIX = '#/components/schemas/';
const DOC_ID = 'https://fake-line.local/openapi/';
/** Keywords that are pure documentation or OpenAPI-only; dropped before handing schemas to ajv. */
const DROP_KEYS = new Set(['discriminator', 'example', 'examples', 'externalDocs', 'xml', 'deprecated', 'description']);
/** Keywords whose value is a map name -> schema. */
const SCHEMA_MAP_KEYS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
/** Keywords whose value is one schema. */
const SCHEMA_KEYS = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'additionalItems']);
/** Keywords whose value is an array of schemas. */
const SCHEMA_ARRAY_KEYS = new Set(['allOf', 'anyOf', 'oneOf']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where to look for LINE's OpenAPI folder when the caller doesn't say. */
export function defaultOpenApiDirCandidates(): string[] {
  const out: string[] = [];
  const env = process.env['LINE_OPENAPI_DIR'];
  if (env) out.push(path.resolve(env));
  out.push(path.resolve(process.cwd(), '../shared/line-openapi'));
  for (const start of [process.cwd(), path.dirname(fileURLToPath(import.meta.url))]) {
    const root = findProjectRoot(start);
    if (root) out.push(path.resolve(root, '../shared/line-openapi'));
  }
  return [...new Set(out)];
}

function findProjectRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The first candidate folder holding `messaging-api.yml`, or null (validation then gets skipped). */
export function findOpenApiDir(): string | null {
  for (const dir of defaultOpenApiDirCandidates()) {
    if (existsSync(path.join(dir, 'messaging-api.yml'))) return dir;
  }
  return null;
}

const cache = new Map<string, LineOpenApi>();

/** Load (once per process per file) LINE's OpenAPI file from `dir`. Throws if the file is missing. */
export function loadLineOpenApi(dir: string, file = 'messaging-api.yml'): LineOpenApi {
  const specFile = path.resolve(dir, file);
  let api = cache.get(specFile);
  if (!api) {
    api = createLineOpenApi(specFile);
    cache.set(specFile, api);
  }
  return api;
}

function refName(ref: string): string | undefined {
  return ref.startsWith(SCHEMA_PREFIX) ? ref.slice(SCHEMA_PREFIX.length) : undefined;
}

interface Discriminated {
  propertyName: string;
  mapping: Record<string, string>; // value -> subtype schema name
}

/** Collect every schema with a discriminator mapping. */
function findDiscriminators(schemas: JsonObject): Map<string, Discriminated> {
  const found = new Map<string, Discriminated>();
  for (const [name, schema] of Object.entries(schemas)) {
    if (!isObject(schema) || !isObject(schema['discriminator'])) continue;
    const d = schema['discriminator'];
    const propertyName = typeof d['propertyName'] === 'string' ? d['propertyName'] : 'type';
    const mapping: Record<string, string> = {};
    if (isObject(d['mapping'])) {
      for (const [value, ref] of Object.entries(d['mapping'])) {
        const target = typeof ref === 'string' ? refName(ref) : undefined;
        if (target && schemas[target] !== undefined) mapping[value] = target;
      }
    }
    if (Object.keys(mapping).length > 0) found.set(name, { propertyName, mapping });
  }
  return found;
}

/**
 * Schema-aware transformation of one OpenAPI schema into something ajv (draft-07, strict:false)
 * validates the way LINE means it.
 */
function transformSchema(
  node: Json,
  ctx: { discriminated: Map<string, Discriminated>; keepBaseRefs: Set<string>; formats: Set<string> },
  topLevelAllOf: boolean,
): Json {
  if (Array.isArray(node)) return node.map((n) => transformSchema(n, ctx, false));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROP_KEYS.has(key) || key.startsWith('x-')) continue;
    if (key === 'nullable') continue; // handled below
    if (key === '$ref' && typeof value === 'string') {
      const target = refName(value);
      if (target && ctx.discriminated.has(target) && !(topLevelAllOf && ctx.keepBaseRefs.has(target))) {
        out[key] = `${SCHEMA_PREFIX}${target}__dispatch`;
      } else {
        out[key] = value;
      }
      continue;
    }
    if (SCHEMA_MAP_KEYS.has(key) && isObject(value)) {
      const m: JsonObject = {};
      for (const [k, v] of Object.entries(value)) m[k] = transformSchema(v, ctx, false);
      out[key] = m;
      continue;
    }
    if (SCHEMA_KEYS.has(key) && (isObject(value) || Array.isArray(value))) {
      out[key] = transformSchema(value, ctx, false);
      continue;
    }
    if (SCHEMA_ARRAY_KEYS.has(key) && Array.isArray(value)) {
      // Only the top-level allOf of a discriminator subtype may keep its $ref to the base.
      out[key] = value.map((v) => transformSchema(v, ctx, topLevelAllOf && key === 'allOf'));
      continue;
    }
    if (key === 'format' && typeof value === 'string') ctx.formats.add(value);
    out[key] = value;
  }
  if (node['nullable'] === true) {
    if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...out['enum'], null];
  }
  return out;
}

function dispatchSchema(d: Discriminated): JsonObject {
  const p = d.propertyName;
  return {
    type: 'object',
    required: [p],
    properties: { [p]: { type: 'string', enum: Object.keys(d.mapping) } },
    allOf: Object.entries(d.mapping).map(([value, target]) => ({
      if: { properties: { [p]: { const: value } }, required: [p] },
      then: { $ref: `${SCHEMA_PREFIX}${target}` },
    })),
  };
}

/** Turn an OpenAPI path template into a matcher: '/v2/bot/profile/{userId}' -> /^\/v2\/bot\/profile\/[^/]+$/ */
function pathMatcher(template: string): RegExp {
  const escaped = template
    .split(/\{[^}]+\}/)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${escaped}$`);
}

function createLineOpenApi(specFile: string): LineOpenApi {
  const t0 = performance.now();
  const doc = parseYaml(readFileSync(specFile, 'utf8')) as JsonObject;
  const components = isObject(doc['components']) ? doc['components'] : {};
  const rawSchemas = isObject(components['schemas']) ? components['schemas'] : {};
  const discriminated = findDiscriminators(rawSchemas);

  // subtype name -> bases whose allOf $ref it may keep
  const subtypeBases = new Map<string, Set<string>>();
  for (const [base, d] of discriminated) {
    for (const sub of Object.values(d.mapping)) {
      let s = subtypeBases.get(sub);
      if (!s) subtypeBases.set(sub, (s = new Set()));
      s.add(base);
    }
  }

  const formats = new Set<string>();
  const schemas: JsonObject = {};
  for (const [name, schema] of Object.entries(rawSchemas)) {
    const keepBaseRefs = subtypeBases.get(name) ?? new Set<string>();
    schemas[name] = transformSchema(schema, { discriminated, keepBaseRefs, formats }, true);
  }
  for (const [base, d] of discriminated) schemas[`${base}__dispatch`] = dispatchSchema(d);

  // Operations with a JSON request body that is a component schema.
  const operations: { method: string; match: RegExp; template: string; schema: string }[] = [];
  const paths = isObject(doc['paths']) ? doc['paths'] : {};
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isObject(op) || !isObject(op['requestBody'])) continue;
      const content = op['requestBody']['content'];
      if (!isObject(content)) continue;
      const json = content['application/json'];
      if (!isObject(json) || !isObject(json['schema'])) continue;
      const ref = json['schema']['$ref'];
      const name = typeof ref === 'string' ? refName(ref) : undefined;
      if (name) operations.push({ method: method.toUpperCase(), match: pathMatcher(template), template, schema: name });
    }
  }
  // Literal paths first so '/v2/bot/richmenu/alias' beats '/v2/bot/richmenu/{richMenuId}'.
  operations.sort((a, b) => Number(a.template.includes('{')) - Number(b.template.includes('{')));

  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
  const addFormats = resolveAddFormats();
  addFormats(ajv);
  for (const f of formats) {
    if (!ajv.formats[f]) ajv.addFormat(f, true);
  }
  ajv.addSchema({ $id: DOC_ID, components: { schemas } } as object);
  const loadMs = performance.now() - t0;

  const validators = new Map<string, ValidateFunction>();
  let compileMs = 0;
  const validatorFor = (name: string): ValidateFunction => {
    const effective = discriminated.has(name) ? `${name}__dispatch` : name;
    let v = validators.get(effective);
    if (!v) {
      if (schemas[effective] === undefined) throw new Error(`No schema named ${name} in ${specFile}`);
      const c0 = performance.now();
      v = ajv.compile({ $ref: `${DOC_ID}${SCHEMA_PREFIX}${effective}` });
      compileMs += performance.now() - c0;
      validators.set(effective, v);
    }
    return v;
  };

  const api: LineOpenApi = {
    specFile,
    loadMs,
    get compileMs() {
      return compileMs;
    },
    schemaNames: () => Object.keys(schemas),
    requestSchemaFor(method, urlPath) {
      const m = method.toUpperCase();
      return operations.find((o) => o.method === m && o.match.test(urlPath))?.schema;
    },
    precompile(names) {
      for (const n of names) validatorFor(n);
    },
    validateComponent(name, value, propertyPrefix = '') {
      const v = validatorFor(name);
      if (v(value)) return [];
      return formatAjvErrors(v.errors ?? [], propertyPrefix);
    },
    validateRequest(method, urlPath, body) {
      const name = api.requestSchemaFor(method, urlPath);
      if (!name) return null;
      return api.validateComponent(name, body);
    },
  };
  return api;
}

type AddFormats = (ajv: Ajv) => unknown;
/** ajv-formats is CommonJS; under NodeNext its default export may arrive wrapped once more. */
function resolveAddFormats(): AddFormats {
  const mod = ajvFormatsModule as unknown as { default?: unknown };
  let f: unknown = mod.default ?? mod;
  if (typeof f !== 'function' && f && typeof (f as { default?: unknown }).default === 'function') {
    f = (f as { default: unknown }).default;
  }
  if (typeof f !== 'function') throw new Error('ajv-formats did not load');
  return f as AddFormats;
}

/** '/messages/0/quickReply/items/13' -> 'messages[0].quickReply.items[13]' */
export function pointerToProperty(pointer: string, prefix = ''): string {
  let out = prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

export function joinProperty(base: string, child: string): string {
  return base ? `${base}.${child}` : child;
}

function formatAjvErrors(errors: ErrorObject[], prefix: string): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if') continue; // "must match then schema": the real cause is reported too
    let property = pointerToProperty(e.instancePath, prefix);
    let message = e.message ?? e.keyword;
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required' && typeof params['missingProperty'] === 'string') {
      property = joinProperty(property, params['missingProperty']);
      message = 'must be specified';
    } else if (e.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
      message = `must be one of: ${params['allowedValues'].map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const key = `${property}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ message, property });
  }
  return out;
}
