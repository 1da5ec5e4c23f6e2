#!/usr/bin/env node
/**
 * Generates the protobuf descriptor tables in libs/core/src/protobuf/generated/ from
 * Kubernetes' own sources, pinned in libs/core/src/protobuf/proto/k8s-v1.33/ (see the README
 * there). Run with `npm run gen:protobuf`; `npm run gen:protobuf -- --check` fails when the
 * checked-in tables differ from what the inputs give.
 *
 * Two inputs per package, each authoritative for one half:
 * - `generated.proto` (parsed with protobufjs): which messages exist, their field numbers,
 *   wire types, message types, `repeated` and `map<K, V>`;
 * - `types.go` (read by the small struct reader below): what protobuf cannot say but the
 *   JSON shape depends on — the JSON name and `omitempty` of each field, whether it is a Go
 *   pointer, whether it is inlined (`json:",inline"`), whether a message is a Go named slice
 *   (`type ExtraValue []string`), and which structs are kinds (they embed `TypeMeta`).
 * The two are matched by field number (the `protobuf:"…,N,…"` tag in Go) and must agree:
 * any field on one side and not the other stops the generator.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');

const ROOT = path.resolve(__dirname, '..');
const INPUTS = path.join(ROOT, 'libs/core/src/protobuf/proto/k8s-v1.33');
const OUTPUT = path.join(ROOT, 'libs/core/src/protobuf/generated');

/** The pinned versions; the README in INPUTS says where the files come from. */
const KUBERNETES = 'v1.33.13';
const SOURCES = 'k8s.io/api v0.33.13, k8s.io/apimachinery v0.33.13';

/** Packages whose kinds Berth reads, with the apiVersion their objects carry. */
const GROUPS = [
  ['k8s.io/api/core/v1', 'v1'],
  ['k8s.io/api/apps/v1', 'apps/v1'],
  ['k8s.io/api/rbac/v1', 'rbac.authorization.k8s.io/v1'],
  ['k8s.io/api/coordination/v1', 'coordination.k8s.io/v1'],
  ['k8s.io/api/authorization/v1', 'authorization.k8s.io/v1'],
  ['k8s.io/api/authentication/v1', 'authentication.k8s.io/v1'],
  ['k8s.io/api/batch/v1', 'batch/v1'],
  ['k8s.io/api/policy/v1', 'policy/v1'],
  ['k8s.io/api/autoscaling/v1', 'autoscaling/v1'],
  ['k8s.io/api/autoscaling/v2', 'autoscaling/v2'],
  ['k8s.io/api/storage/v1', 'storage.k8s.io/v1'],
  ['k8s.io/api/networking/v1', 'networking.k8s.io/v1'],
];

/** Packages that only hold messages the groups embed. */
const SHARED = [
  'k8s.io/apimachinery/pkg/apis/meta/v1',
  'k8s.io/apimachinery/pkg/runtime',
  'k8s.io/apimachinery/pkg/runtime/schema',
  'k8s.io/apimachinery/pkg/util/intstr',
  'k8s.io/apimachinery/pkg/api/resource',
];

const PACKAGES = [...GROUPS.map(([pkg]) => pkg), ...SHARED];

const META = '.k8s.io.apimachinery.pkg.apis.meta.v1';

/** Kinds of meta/v1 that every group version serves (`metav1.AddToGroupVersion`) with a body. */
const META_KINDS_IN_EVERY_GROUP = ['DeleteOptions'];

/**
 * Messages with a JSON form of their own (a custom MarshalJSON in Go); the decoder knows
 * each by its field type.
 */
const SPECIAL = {
  [`${META}.Time`]: 'time',
  [`${META}.MicroTime`]: 'microTime',
  [`${META}.FieldsV1`]: 'rawJson',
  '.k8s.io.apimachinery.pkg.runtime.RawExtension': 'rawJson',
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intOrString',
};

const SCALARS = { string: 'string', int32: 'int32', int64: 'int64', bool: 'bool', bytes: 'bytes' };

// ---------------------------------------------------------------------------------------------
// Reading the inputs
// ---------------------------------------------------------------------------------------------

function parseProtos(packages) {
  const root = new protobuf.Root();
  for (const pkg of packages) {
    const file = path.join(INPUTS, pkg, 'generated.proto');
    protobuf.parse(fs.readFileSync(file, 'utf8'), root, { keepCase: true });
  }
  root.resolveAll();
  return root;
}

/**
 * The Go structs of a package: name → { fields: Map<protobuf number, GoField>, kind: bool }
 * and the named slices (`type X []T`). Only the subset Kubernetes' types.go files use:
 * one field per line, a struct tag on every serialised field.
 */
function readGoTypes(pkg) {
  const file = path.join(INPUTS, pkg, 'types.go');
  const structs = new Map();
  const namedSlices = new Set();
  if (!fs.existsSync(file)) return { structs, namedSlices };
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/(^|\s)\/\/.*$/, ''));
  let current = null;
  for (const raw of lines) {
    const line = raw.trim();
    if (!current) {
      const struct = /^type (\w+) struct \{$/.exec(line);
      if (struct) {
        current = { name: struct[1], fields: new Map(), kind: false };
        structs.set(current.name, current);
        continue;
      }
      const slice = /^type (\w+) \[\]\S+$/.exec(line);
      if (slice) namedSlices.add(slice[1]);
      continue;
    }
    if (line === '}') {
      current = null;
      continue;
    }
    const field = /^(?:(\w+)\s+)?(\S+)\s+`([^`]*)`$/.exec(line);
    if (!field) continue;
    const [, fieldName, goType, tag] = field;
    const json = /(?:^|\s)json:"([^"]*)"/.exec(tag);
    const pb = /(?:^|\s)protobuf:"([^"]*)"/.exec(tag);
    const [jsonName = '', ...jsonOpts] = json ? json[1].split(',') : [];
    if (!fieldName && /(^|\.)TypeMeta$/.test(goType) && jsonOpts.includes('inline')) {
      current.kind = true;
    }
    const number = pb ? Number(pb[1].split(',')[1]) : NaN;
    if (!Number.isInteger(number)) continue;
    current.fields.set(number, {
      goName: fieldName ?? goType.replace(/^\*?(\w+\.)?/, ''),
      goType,
      jsonName,
      omitempty: jsonOpts.includes('omitempty'),
      inline: jsonOpts.includes('inline'),
      hidden: json?.[1] === '-',
      pointer: goType.startsWith('*'),
    });
  }
  return { structs, namedSlices };
}

/** The Go types of every package, by protobuf package name. */
const go = new Map(PACKAGES.map((pkg) => [protoPackage(pkg), readGoTypes(pkg)]));

// ---------------------------------------------------------------------------------------------
// Building the tables
// ---------------------------------------------------------------------------------------------

async function main() {
  const check = process.argv.includes('--check');
  const root = parseProtos(PACKAGES);

  /** Kinds per apiVersion, as protobuf types. */
  const kinds = GROUPS.map(([pkg, apiVersion]) => {
    const ns = root.lookup(protoPackage(pkg));
    const { structs } = go.get(protoPackage(pkg));
    const own = [...structs.values()]
      .filter((s) => s.kind && ns.get(s.name) instanceof protobuf.Type)
      .map((s) => ns.get(s.name));
    const shared = META_KINDS_IN_EVERY_GROUP.map((k) => root.lookupType(`${META}.${k}`));
    return { apiVersion, pkg, types: [...own, ...shared] };
  });

  // Every message reachable from a kind, in dependency order (what a message uses first).
  const ordered = [];
  const state = new Map();
  const visit = (type, from) => {
    if (state.get(type) === 'done') return;
    if (state.get(type) === 'visiting') {
      throw new Error(`message cycle through ${type.fullName} (from ${from}); not supported`);
    }
    state.set(type, 'visiting');
    for (const field of type.fieldsArray) {
      const used = field.resolvedType;
      if (used instanceof protobuf.Type && !SPECIAL[used.fullName]) visit(used, type.fullName);
    }
    state.set(type, 'done');
    ordered.push(type);
  };
  for (const { types } of kinds) for (const t of types) visit(t, 'the kinds');

  const byModule = new Map();
  for (const type of ordered) {
    const mod = moduleName(type.parent.fullName);
    if (!byModule.has(mod)) byModule.set(mod, []);
    byModule.get(mod).push(type);
  }

  const files = new Map();
  const moduleImports = new Map();
  for (const [mod, types] of byModule) {
    const { text, imports } = renderModule(mod, types);
    moduleImports.set(mod, imports);
    files.set(`${mod}.ts`, await format(text));
  }
  // The tables are plain `const`s: modules that import each other would see `undefined`.
  const reaches = (from, to, seen = new Set()) =>
    [...(moduleImports.get(from) ?? [])].some(
      (m) => m === to || (!seen.has(m) && seen.add(m) && reaches(m, to, seen)),
    );
  for (const mod of moduleImports.keys()) {
    if (reaches(mod, mod)) throw new Error(`generated modules import each other through ${mod}`);
  }
  files.set('kinds.ts', await format(renderKinds(kinds)));

  if (check) {
    const stale = [...files].filter(
      ([name, text]) =>
        !fs.existsSync(path.join(OUTPUT, name)) ||
        fs.readFileSync(path.join(OUTPUT, name), 'utf8') !== text,
    );
    const extra = fs.existsSync(OUTPUT)
      ? fs.readdirSync(OUTPUT).filter((name) => !files.has(name))
      : [];
    if (stale.length || extra.length) {
      console.error(
        `protobuf tables are out of date (${[...stale.map(([n]) => n), ...extra].join(', ')}); ` +
          'run npm run gen:protobuf',
      );
      process.exit(1);
    }
    console.log(`protobuf tables are up to date (${files.size} files)`);
    return;
  }
  fs.rmSync(OUTPUT, { recursive: true, force: true });
  fs.mkdirSync(OUTPUT, { recursive: true });
  for (const [name, text] of files) fs.writeFileSync(path.join(OUTPUT, name), text);
  console.log(
    `wrote ${files.size} files, ${ordered.length} messages, to ${path.relative(ROOT, OUTPUT)}`,
  );
}

/** `k8s.io/api/core/v1` → `k8s.io.api.core.v1` (the package name in generated.proto). */
function protoPackage(pkg) {
  return pkg.replace(/\//g, '.');
}

/** `.k8s.io.api.core.v1` → `core-v1`; `.k8s.io.apimachinery.pkg.apis.meta.v1` → `meta-v1`. */
function moduleName(fullName) {
  const parts = fullName.replace(/^\./, '').split('.');
  if (parts[2] === 'api') return `${parts[3]}-${parts[4]}`;
  return parts.slice(-2).join('-');
}

/** The TypeScript identifier a module is imported as: `core-v1` → `coreV1`. */
function moduleAlias(mod) {
  return mod.replace(/-(\w)/g, (_, c) => c.toUpperCase());
}

function renderModule(mod, types) {
  const imports = new Set();
  const body = [];
  for (const type of types) {
    const goTypes = go.get(type.parent.fullName.replace(/^\./, ''));
    if (goTypes.namedSlices.has(type.name)) {
      const [items, ...rest] = type.fieldsArray;
      if (!items || rest.length || items.name !== 'items' || items.id !== 1 || !items.repeated) {
        throw new Error(`${type.fullName}: a Go named slice should be \`repeated … items = 1\``);
      }
      const spec = valueSpec(type.fullName, items, mod, imports, false);
      body.push(
        `/** \`${type.name}\` is a Go named slice: its JSON is the \`items\` list alone. */\n` +
          `export const ${type.name}: ProtoDescriptor = {\n  1: { name: 'items', ${spec.join(', ')}, repeated: true },\n};\n`,
      );
      continue;
    }
    const struct = goTypes.structs.get(type.name);
    if (!struct) {
      throw new Error(`${type.fullName}: no Go struct ${type.name} in its package's types.go`);
    }
    const lines = [];
    const goNumbers = new Set([...struct.fields].filter(([, f]) => !f.hidden).map(([n]) => n));
    for (const field of type.fieldsArray) {
      const goField = struct.fields.get(field.id);
      if (!goField) {
        throw new Error(
          `${type.fullName}.${field.name} (${field.id}): no Go field with that number`,
        );
      }
      goNumbers.delete(field.id);
      if (goField.hidden) continue;
      lines.push(`  ${field.id}: ${renderField(type, field, goField, mod, imports)},`);
    }
    if (goNumbers.size) {
      throw new Error(`${type.fullName}: Go fields ${[...goNumbers]} are not in generated.proto`);
    }
    body.push(`export const ${type.name}: ProtoDescriptor = {\n${lines.join('\n')}\n};\n`);
  }
  const header = [
    `/**`,
    ` * Generated by scripts/gen-protobuf.js from Kubernetes ${KUBERNETES} (${SOURCES}):`,
    ` * ${types[0].parent.fullName.replace(/^\./, '').replace(/\./g, '/')}/generated.proto and types.go.`,
    ` * Do not edit; run \`npm run gen:protobuf\`. See ../descriptor.ts for what the fields mean.`,
    ` */`,
    `import type { ProtoDescriptor } from '../descriptor';`,
    ...[...imports].sort().map((m) => `import * as ${moduleAlias(m)} from './${m}';`),
    '',
  ];
  return { text: `${header.join('\n')}\n${body.join('\n')}`, imports };
}

function renderField(type, field, goField, mod, imports) {
  const where = `${type.fullName}.${field.name}`;
  const name = goField.inline ? field.name : goField.jsonName || field.name;
  const props = [`name: ${quote(name)}`];
  if (field.map) {
    if (field.keyType !== 'string') throw new Error(`${where}: map key ${field.keyType}`);
    const value = valueSpec(where, field, mod, imports, isNamedSlice(field));
    props.push(`type: 'map'`, `value: { name: 'value', ${value.join(', ')}, keepZero: true }`);
    return `{ ${props.join(', ')} }`;
  }
  const spec = valueSpec(where, field, mod, imports, isNamedSlice(field));
  props.push(...spec);
  if (field.repeated) props.push('repeated: true');
  const scalar = spec[0].startsWith(`type: '`) && SCALARS[field.type];
  if (scalar && !field.repeated && (goField.pointer || !goField.omitempty)) {
    props.push('keepZero: true');
  }
  if (goField.inline) {
    if (!spec.some((p) => p.startsWith('message:')) || field.repeated) {
      throw new Error(`${where}: only a singular message can be inlined`);
    }
    props.push('inline: true');
  }
  return `{ ${props.join(', ')} }`;
}

/** True when a field's message is a Go named slice (`type ExtraValue []string`). */
function isNamedSlice(field) {
  const t = field.resolvedType;
  if (!(t instanceof protobuf.Type)) return false;
  const goTypes = go.get(t.parent.fullName.replace(/^\./, ''));
  return Boolean(goTypes && goTypes.namedSlices.has(t.name));
}

/** `type: …` and, for messages, `message: …` (and `unwrap` for a Go named slice). */
function valueSpec(where, field, mod, imports, namedSlice) {
  if (SCALARS[field.type]) return [`type: '${SCALARS[field.type]}'`];
  const t = field.resolvedType;
  if (!(t instanceof protobuf.Type)) throw new Error(`${where}: unsupported type ${field.type}`);
  if (SPECIAL[t.fullName]) return [`type: '${SPECIAL[t.fullName]}'`];
  const other = moduleName(t.parent.fullName);
  let ref = t.name;
  if (other !== mod) {
    imports.add(other);
    ref = `${moduleAlias(other)}.${t.name}`;
  }
  const spec = [`type: 'message'`, `message: ${ref}`];
  if (namedSlice) spec.push('unwrap: true');
  return spec;
}

function renderKinds(kinds) {
  const mods = new Set();
  const groups = kinds.map(({ apiVersion, types }) => {
    const sorted = [...types].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const entries = sorted.map((t) => {
      const mod = moduleName(t.parent.fullName);
      mods.add(mod);
      return `    ${t.name}: ${moduleAlias(mod)}.${t.name},`;
    });
    return `  ${quote(apiVersion)}: {\n${entries.join('\n')}\n  },`;
  });
  return [
    `/**`,
    ` * Generated by scripts/gen-protobuf.js from Kubernetes ${KUBERNETES} (${SOURCES}).`,
    ` * Do not edit; run \`npm run gen:protobuf\`.`,
    ` *`,
    ` * apiVersion → kind → descriptor: every kind of the packages read (a Go struct that embeds`,
    ` * TypeMeta), and ${META_KINDS_IN_EVERY_GROUP.join(', ')}, which every group version serves.`,
    ` */`,
    `import type { ProtoDescriptor } from '../descriptor';`,
    ...[...mods].sort().map((m) => `import * as ${moduleAlias(m)} from './${m}';`),
    '',
    `export const PROTOBUF_KINDS: Readonly<Record<string, Readonly<Record<string, ProtoDescriptor>>>> = {`,
    ...groups,
    `};`,
    '',
  ].join('\n');
}

/** Formats generated TypeScript as the repository's Prettier configuration has it. */
async function format(text) {
  const prettier = require('prettier');
  const file = path.join(OUTPUT, 'x.ts');
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

function quote(s) {
  return /^[A-Za-z_$][\w$]*$/.test(s) && s !== '__proto__' ? `'${s}'` : JSON.stringify(s);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
