// Validates every committed AsyncAPI document with the AsyncAPI project's own parser (zero errors allowed,
// warnings counted), then every JSON Schema of the suite with Ajv (Draft 2020-12, formats), and every example
// of every document (the suite's snapshots) against the suite schemas its message's payload is built from.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Parser } from "@asyncapi/parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const root = process.env.REPO_ROOT;
const docsDir = join(root, "docs/asyncapi");
const schemasDir = join(root, "conformance/schemas");
let failures = 0;
const fail = (message) => {
  failures += 1;
  console.error(`FAIL ${message}`);
};

// 1. The documents, with the AsyncAPI parser.
const parser = new Parser();
const docs = readdirSync(docsDir).filter((f) => f.endsWith(".json")).sort();
if (docs.length === 0) fail(`no documents in ${docsDir}`);
let warnings = 0;
for (const file of docs) {
  const path = join(docsDir, file);
  const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
  const errors = diagnostics.filter((d) => d.severity === 0);
  const warned = diagnostics.filter((d) => d.severity === 1);
  warnings += warned.length;
  for (const d of errors) fail(`${file}: ${d.code} at ${d.path.join("/")}: ${d.message}`);
  for (const d of warned) console.log(`warning ${file}: ${d.code} at ${d.path.join("/")}: ${d.message}`);
  if (document === undefined) fail(`${file}: the parser returned no document`);
  else console.log(`asyncapi ${file}: ${errors.length} errors, ${warned.length} warnings`);
}

// 2. The suite's schemas, with a second validator.
// Ajv's default strictness (unknown keywords and formats are errors), with union types as JSON Schema has them.
const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addKeyword("x-rule");
const validators = new Map();
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const path of walk(schemasDir).filter((p) => p.endsWith(".json")).sort()) {
  const name = `conformance/schemas/${relative(schemasDir, path)}`;
  try {
    validators.set(name, ajv.compile(JSON.parse(readFileSync(path, "utf8"))));
  } catch (error) {
    fail(`${name} does not compile: ${error.message}`);
  }
}
console.log(`ajv: ${validators.size} schemas compiled`);

// 3. Each example against every suite schema its payload names (x-schema), at the part of the example that
// schema describes (through allOf and properties).
let checked = 0;
const check = (where, node, instance) => {
  if (node === null || typeof node !== "object") return;
  const name = node["x-schema"];
  if (typeof name === "string") {
    const validate = validators.get(name);
    if (validate === undefined) fail(`${where}: ${name} is not a suite schema`);
    else if (validate(instance)) checked += 1;
    else fail(`${where} does not pass ${name}: ${ajv.errorsText(validate.errors)}`);
  }
  for (const member of node.allOf ?? []) check(where, member, instance);
  if (instance !== null && typeof instance === "object" && node.properties) {
    for (const [key, sub] of Object.entries(node.properties)) {
      if (key in instance) check(`${where}/${key}`, sub, instance[key]);
    }
  }
};
for (const file of docs) {
  const doc = JSON.parse(readFileSync(join(docsDir, file), "utf8"));
  for (const [id, message] of Object.entries(doc.components?.messages ?? {})) {
    for (const example of message.examples ?? []) check(`${file} ${id} ${example.summary}`, message.payload, example.payload);
  }
}
console.log(`ajv: ${checked} example parts passed their suite schemas`);
console.log(`asyncapi-check: ${docs.length} documents, ${warnings} warnings, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
