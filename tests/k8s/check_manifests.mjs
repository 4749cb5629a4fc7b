#!/usr/bin/env node
// Validates a rendered multi-document YAML stream (an overlay's `kubectl kustomize` output) offline: every object
// against its Kubernetes schema, then against the deployment policy in lib/policy.mjs.
//
//   node check_manifests.mjs [--service NAME]... [--allow-kind APIVERSION/KIND]... [FILE | -]
//
// --service NAME         a Deployment labelled app.kubernetes.io/name=NAME must exist (one per Tandem service)
// --allow-kind AV/KIND   a custom resource kind accepted without a schema (none is expected today)
// Exit 0 and "ok: N objects" when clean; exit 1 with one FAIL line per finding; exit 2 on a usage error.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { modelFor, schemaErrors } from "./lib/schema.mjs";
import { Finding, checkPolicy } from "./lib/policy.mjs";

function usage(message) {
  process.stderr.write(`check_manifests: ${message}\n` +
    "usage: check_manifests.mjs [--service NAME]... [--allow-kind APIVERSION/KIND]... [FILE | -]\n");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { services: [], allowKinds: new Set(), file: "-" };
  let fileSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--service" || a === "--allow-kind") {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      const v = argv[++i];
      if (a === "--service") opts.services.push(v);
      else opts.allowKinds.add(v);
    } else if (a.startsWith("--")) {
      usage(`unknown option ${a}`);
    } else if (fileSeen) {
      usage("only one input");
    } else {
      opts.file = a;
      fileSeen = true;
    }
  }
  return opts;
}

// A stand-in object for findings about a document that is not a usable Kubernetes object.
function documentRef(index, obj) {
  const kind = obj && typeof obj === "object" && typeof obj.kind === "string" ? obj.kind : "document";
  const meta = obj && typeof obj === "object" && obj.metadata && typeof obj.metadata === "object" ? obj.metadata : {};
  return { kind, metadata: { name: meta.name || `#${index + 1}`, namespace: meta.namespace } };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let text;
  try {
    text = readFileSync(opts.file === "-" ? 0 : opts.file, "utf8");
  } catch (err) {
    usage(`cannot read ${opts.file}: ${err.message}`);
  }

  const findings = [];
  const known = [];
  let count = 0;
  parseAllDocuments(text).forEach((doc, index) => {
    if (doc.errors.length) {
      for (const e of doc.errors) {
        findings.push(new Finding(documentRef(index), null, "yaml", e.message.split("\n")[0]));
      }
      return;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) return;  // an empty document between separators
    count++;
    known.push({ index, obj });
  });

  const valid = [];
  for (const { index, obj } of known) {
    const ref = documentRef(index, obj);
    if (typeof obj !== "object" || Array.isArray(obj)) {
      findings.push(new Finding(ref, null, "schema", "document is not a mapping"));
      continue;
    }
    const cls = await modelFor(obj.apiVersion, obj.kind);
    if (!cls) {
      if (!opts.allowKinds.has(`${obj.apiVersion}/${obj.kind}`)) {
        findings.push(new Finding(ref, null, "unknown-kind", `apiVersion ${obj.apiVersion} kind ${obj.kind} has no ` +
          "schema (a removed or misspelt API, or a custom resource that is not allow-listed)"));
      }
      continue;
    }
    const errors = schemaErrors(cls, obj);
    for (const e of errors) findings.push(new Finding(ref, null, "schema", e));
    if (errors.length === 0) valid.push(obj);
  }

  findings.push(...checkPolicy(valid, { requiredServices: opts.services }));

  if (findings.length) {
    for (const f of findings) process.stdout.write(`${f}\n`);
    process.stderr.write(`check_manifests: ${findings.length} finding(s) in ${count} objects\n`);
    process.exit(1);
  }
  process.stdout.write(`ok: ${count} objects\n`);
}

await main();
