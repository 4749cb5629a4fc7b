#!/usr/bin/env node
// Checks the image build without a Docker engine: the build stage installs its toolchain with the same script a
// developer machine uses, no entrypoint goes through a shell, and the runtime stages ship no redis-tools.
//
//   node check_dockerfile.mjs --install-script PATH [--full-packages "P..."] [--runtime-packages "P..."] FILE
//
// --install-script PATH    the repository path of the install script the README's commands call
// --full-packages, --runtime-packages   what that script installs in each mode (`install-deps.sh [--runtime] --print`;
//                          packages separated by blanks or commas)
// Exit 0 and "ok: Dockerfile, N stages" when clean; exit 1 with one FAIL line per finding; exit 2 on a usage error.
import { readFileSync } from "node:fs";
import path from "node:path";

const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh"]);
const RUNTIME_FORBIDDEN = "redis-tools";

function usage(message) {
  process.stderr.write(`check_dockerfile: ${message}\n` + "usage: check_dockerfile.mjs --install-script PATH " +
    "[--full-packages LIST] [--runtime-packages LIST] FILE\n");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { installScript: null, full: [], runtime: [], file: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (["--install-script", "--full-packages", "--runtime-packages"].includes(a)) {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      const v = argv[++i];
      if (a === "--install-script") opts.installScript = v;
      else (a === "--full-packages" ? opts.full : opts.runtime).push(...v.split(/[\s,]+/).filter(Boolean));
    } else if (a.startsWith("--")) {
      usage(`unknown option ${a}`);
    } else if (opts.file) {
      usage("only one Dockerfile");
    } else {
      opts.file = a;
    }
  }
  if (!opts.installScript || !opts.file) usage("--install-script and FILE are required");
  return opts;
}

// Instructions with continuation lines joined and heredoc bodies attached to the instruction that opens them.
function instructions(text) {
  const lines = text.split("\n");
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, " ");
      const next = lines[++i];
      if (!/^\s*#/.test(next)) line += next;
    }
    const heredoc = line.match(/<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?/);
    if (heredoc) {
      while (i + 1 < lines.length && lines[i + 1].trim() !== heredoc[1]) line += `\n${lines[++i]}`;
      i++;
    }
    const m = line.trim().match(/^(\S+)\s*([\s\S]*)$/);
    out.push({ op: m[1].toUpperCase(), args: m[2] });
  }
  return out;
}

function stages(text) {
  const list = [];
  for (const ins of instructions(text)) {
    if (ins.op === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const as = words.findIndex((w) => w.toLowerCase() === "as");
      list.push({ index: list.length, base: words[0], name: as >= 0 ? words[as + 1] : null, body: [] });
    } else if (list.length) {
      list[list.length - 1].body.push(ins);
    }
  }
  return list;
}

function label(stage) {
  return stage.name || `#${stage.index}`;
}

// The stage and every earlier stage it is built FROM.
function chain(all, stage) {
  const out = [stage];
  let cur = stage;
  for (;;) {
    const parent = all.find((s) => s.name && s.name === cur.base && s.index < cur.index);
    if (!parent) return out;
    out.push(parent);
    cur = parent;
  }
}

// Each call of the install script in a RUN (the script in command position, run directly or by a shell, not
// merely named, as in `rm /tmp/install-deps.sh`): whether it asks for the runtime set only.
function installCalls(stage, scriptBase) {
  const calls = [];
  const escaped = scriptBase.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const commandPosition = String.raw`(?:^|[;&|(\n]|\b(?:bash|sh|sudo)\s)\s*(?:-\S+\s+)*`;
  const re = new RegExp(`${commandPosition}[^\\s;&|]*${escaped}([^;&|\\n]*)`, "g");
  for (const ins of stage.body.filter((i) => i.op === "RUN")) {
    for (const m of ins.args.matchAll(re)) calls.push({ runtime: /(^|\s)--runtime(\s|$)/.test(m[1]) });
  }
  return calls;
}

function check(text, opts) {
  const findings = [];
  const all = stages(text);
  const fail = (stage, rule, detail) =>
    findings.push(`FAIL Dockerfile stage=${stage ? label(stage) : "-"} rule=${rule}: ${detail}`);
  if (all.length === 0) {
    fail(null, "docker-build-install", "no FROM instruction");
    return { findings, count: 0 };
  }
  const scriptBase = path.basename(opts.installScript);

  const builds = all.filter((s) => s.body.some((i) => i.op === "RUN" && /(^|[\s;&|(])cmake\s/.test(i.args)));
  if (builds.length === 0) fail(null, "docker-build-install", "no stage runs cmake, so no build stage was found");
  const buildChain = new Set();
  for (const b of builds) {
    const stagesOfBuild = chain(all, b);
    stagesOfBuild.forEach((s) => buildChain.add(s));
    const full = stagesOfBuild.some((s) => installCalls(s, scriptBase).some((c) => !c.runtime));
    const named = stagesOfBuild.some((s) => s.body.some((i) => i.args.includes(opts.installScript)));
    if (!full || !named) {
      fail(b, "docker-build-install", `the build stage does not run ${opts.installScript} (full mode), the ` +
        "install script the README's commands call");
    }
  }

  for (const s of all) {
    for (const ins of s.body.filter((i) => i.op === "ENTRYPOINT")) {
      const arg = ins.args.trim();
      if (!arg.startsWith("[")) {
        fail(s, "docker-entrypoint-shell", "ENTRYPOINT in shell form runs under /bin/sh -c");
        continue;
      }
      let argv;
      try {
        argv = JSON.parse(arg);
      } catch {
        fail(s, "docker-entrypoint-shell", "ENTRYPOINT is not a valid JSON array, so Docker runs it under /bin/sh -c");
        continue;
      }
      if (SHELLS.has(path.basename(String(argv[0]))) && argv.slice(1).some((a) => /^-[a-z]*c[a-z]*$/.test(a))) {
        fail(s, "docker-entrypoint-shell", `ENTRYPOINT runs ${argv[0]} ${argv[1]}: the service must be PID 1`);
      }
    }
  }

  for (const s of all.filter((st) => !buildChain.has(st))) {
    for (const ins of s.body.filter((i) => i.op === "RUN")) {
      if (new RegExp(`(^|[\\s"'])${RUNTIME_FORBIDDEN}([\\s"'=]|$)`).test(ins.args)) {
        fail(s, "docker-runtime-redis-tools", `a runtime stage installs ${RUNTIME_FORBIDDEN}`);
      }
    }
    for (const c of installCalls(s, scriptBase)) {
      const list = c.runtime ? opts.runtime : opts.full;
      if (list.includes(RUNTIME_FORBIDDEN)) {
        fail(s, "docker-runtime-redis-tools", `a runtime stage runs ${scriptBase}${c.runtime ? " --runtime" : ""}, ` +
          `which installs ${RUNTIME_FORBIDDEN}`);
      }
    }
  }
  return { findings, count: all.length };
}

const opts = parseArgs(process.argv.slice(2));
let text;
try {
  text = readFileSync(opts.file, "utf8");
} catch (err) {
  usage(`cannot read ${opts.file}: ${err.message}`);
}
const { findings, count } = check(text, opts);
if (findings.length) {
  for (const f of findings) process.stdout.write(`${f}\n`);
  process.exit(1);
}
process.stdout.write(`ok: Dockerfile, ${count} stages\n`);
