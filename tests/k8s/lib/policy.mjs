// The deployment policy every rendered overlay must meet. Each finding names the object, the container when there
// is one, and the rule, so a failing run says exactly what to fix. Rule ids are stable: the checker's own
// fixtures (testdata/bad) assert them.

// Where each workload kind keeps its pod template.
const POD_TEMPLATE = {
  Pod: (o) => ({ metadata: o.metadata, spec: o.spec }),
  Deployment: (o) => o.spec && o.spec.template,
  StatefulSet: (o) => o.spec && o.spec.template,
  DaemonSet: (o) => o.spec && o.spec.template,
  ReplicaSet: (o) => o.spec && o.spec.template,
  ReplicationController: (o) => o.spec && o.spec.template,
  Job: (o) => o.spec && o.spec.template,
  CronJob: (o) => o.spec && o.spec.jobTemplate && o.spec.jobTemplate.spec && o.spec.jobTemplate.spec.template,
};

// Long-running workloads must say when they are ready and alive; a Job runs to completion and is exempt.
const PROBED_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

// Workloads that serve traffic and so must sit behind a NetworkPolicy.
const SERVING_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export class Finding {
  constructor(obj, container, rule, detail) {
    this.kind = obj.kind;
    this.name = (obj.metadata && obj.metadata.name) || "<unnamed>";
    this.namespace = obj.metadata && obj.metadata.namespace;
    this.container = container;
    this.rule = rule;
    this.detail = detail;
  }

  toString() {
    const ns = this.namespace ? ` namespace=${this.namespace}` : "";
    const c = this.container ? ` container=${this.container}` : "";
    return `FAIL ${this.kind}/${this.name}${ns}${c} rule=${this.rule}: ${this.detail}`;
  }
}

function namespaceOf(obj) {
  return (obj.metadata && obj.metadata.namespace) || "";
}

function isEmptyObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0;
}

function isEmptySelector(sel) {
  if (sel === undefined || sel === null) return true;
  const labels = sel.matchLabels || {};
  const exprs = sel.matchExpressions || [];
  return Object.keys(labels).length === 0 && exprs.length === 0;
}

// Kubernetes label-selector semantics: every matchLabels pair and every expression must hold.
export function selectorMatches(sel, labels) {
  const have = labels || {};
  const has = (k) => Object.prototype.hasOwnProperty.call(have, k);
  for (const [k, v] of Object.entries((sel && sel.matchLabels) || {})) {
    if (!has(k) || have[k] !== v) return false;
  }
  for (const e of (sel && sel.matchExpressions) || []) {
    const values = e.values || [];
    const ok = {
      In: () => has(e.key) && values.includes(have[e.key]),
      NotIn: () => !has(e.key) || !values.includes(have[e.key]),
      Exists: () => has(e.key),
      DoesNotExist: () => !has(e.key),
    }[e.operator];
    if (!ok || !ok()) return false;
  }
  return true;
}

// A Service's selector is a plain map; an empty one selects nothing (its endpoints are managed by hand).
function serviceSelects(svc, labels) {
  const sel = (svc.spec && svc.spec.selector) || {};
  if (Object.keys(sel).length === 0) return false;
  return selectorMatches({ matchLabels: sel }, labels);
}

// Why an image reference is not pinned, or null when it names a digest or a tag other than `latest`.
export function unpinnedImage(image) {
  if (typeof image !== "string" || image === "") return "no image";
  const at = image.indexOf("@");
  if (at >= 0) {
    return DIGEST.test(image.slice(at + 1)) ? null : `image ${image} has a malformed digest`;
  }
  // A registry port (host:5000/name) is not a tag: only the last path segment can carry one.
  const last = image.slice(image.lastIndexOf("/") + 1);
  const colon = last.lastIndexOf(":");
  if (colon < 0 || colon === last.length - 1) return `image ${image} has no tag or digest`;
  if (last.slice(colon + 1) === "latest") return `image ${image} uses the tag latest`;
  return null;
}

function checkContainer(obj, pod, c, { probed }) {
  const out = [];
  const add = (rule, detail) => out.push(new Finding(obj, c.name || "<unnamed>", rule, detail));

  const res = c.resources || {};
  const missing = [];
  for (const kind of ["limits", "requests"]) {
    for (const r of ["cpu", "memory"]) {
      if (!res[kind] || res[kind][r] === undefined || res[kind][r] === null || res[kind][r] === "") {
        missing.push(`${kind}.${r}`);
      }
    }
  }
  if (missing.length) add("resources", `missing resources ${missing.join(", ")}`);

  if (probed) {
    for (const p of ["readinessProbe", "livenessProbe"]) {
      if (!c[p]) add("probes", `missing ${p}`);
    }
  }

  const sc = c.securityContext || {};
  const podSc = pod.securityContext || {};
  // The container's own setting wins over the pod's.
  const nonRoot = sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : podSc.runAsNonRoot;
  if (nonRoot !== true) add("run-as-non-root", "securityContext.runAsNonRoot is not true (pod or container)");
  if (sc.readOnlyRootFilesystem !== true) {
    add("read-only-root-fs", "securityContext.readOnlyRootFilesystem is not true");
  }
  if (sc.allowPrivilegeEscalation !== false) {
    add("privilege-escalation", "securityContext.allowPrivilegeEscalation is not false");
  }
  if (sc.privileged === true) add("privilege-escalation", "securityContext.privileged is true");
  const drop = (sc.capabilities && sc.capabilities.drop) || [];
  if (!drop.includes("ALL")) add("capabilities", "securityContext.capabilities.drop does not contain ALL");

  const why = unpinnedImage(c.image);
  if (why) add("image-tag", why);
  return out;
}

function checkWorkload(obj) {
  const tpl = POD_TEMPLATE[obj.kind](obj);
  const pod = (tpl && tpl.spec) || {};
  const out = [];
  const probed = PROBED_KINDS.has(obj.kind);
  for (const c of pod.containers || []) out.push(...checkContainer(obj, pod, c, { probed }));
  for (const c of pod.initContainers || []) out.push(...checkContainer(obj, pod, c, { probed: false }));
  return out;
}

function checkSecret(obj) {
  const out = [];
  for (const field of ["data", "stringData"]) {
    const v = obj[field];
    if (v && typeof v === "object" && Object.keys(v).length > 0) {
      out.push(new Finding(obj, null, "secret-literal", `Secret carries ${field} (${Object.keys(v).length} keys); ` +
        "secrets are referenced, never committed"));
    }
  }
  return out;
}

// A peer that admits every pod in every namespace, or every address.
function universalPeer(peer) {
  if (isEmptyObject(peer)) return true;
  const keys = Object.keys(peer);
  const allNamespaces = peer.namespaceSelector !== undefined && isEmptySelector(peer.namespaceSelector) &&
    (peer.podSelector === undefined || isEmptySelector(peer.podSelector)) &&
    keys.every((k) => k === "namespaceSelector" || k === "podSelector");
  const allAddresses = peer.ipBlock && ["0.0.0.0/0", "::/0"].includes(peer.ipBlock.cidr) &&
    !(peer.ipBlock.except && peer.ipBlock.except.length);
  return Boolean(allNamespaces || allAddresses);
}

function checkNetworkPolicy(obj) {
  const out = [];
  const spec = obj.spec || {};
  for (const [direction, peersKey] of [["ingress", "from"], ["egress", "to"]]) {
    (spec[direction] || []).forEach((rule, i) => {
      const where = `${direction}[${i}]`;
      const peers = (rule && rule[peersKey]) || [];
      const ports = (rule && rule.ports) || [];
      if (peers.length === 0 && ports.length === 0) {
        out.push(new Finding(obj, null, "network-policy-allow-all", `${where} has no ${peersKey} and no ports: ` +
          "it allows everything"));
        return;
      }
      peers.forEach((peer, j) => {
        if (isEmptyObject(peer)) {
          out.push(new Finding(obj, null, "network-policy-allow-all", `${where}.${peersKey}[${j}] is {}: ` +
            "it allows everything"));
        } else if (ports.length === 0 && universalPeer(peer)) {
          out.push(new Finding(obj, null, "network-policy-allow-all", `${where}.${peersKey}[${j}] admits every ` +
            "namespace or address on every port"));
        }
      });
    });
  }
  return out;
}

// A policy that selects every pod of its namespace and admits no ingress.
function isDefaultDeny(np) {
  const spec = np.spec || {};
  const types = spec.policyTypes || ["Ingress"];
  return isEmptySelector(spec.podSelector) && types.includes("Ingress") && (spec.ingress || []).length === 0;
}

function podLabels(obj) {
  const tpl = POD_TEMPLATE[obj.kind](obj);
  return (tpl && tpl.metadata && tpl.metadata.labels) || {};
}

function speaksGrpc(obj) {
  const tpl = POD_TEMPLATE[obj.kind](obj);
  const containers = (tpl && tpl.spec && tpl.spec.containers) || [];
  return containers.some((c) => (c.ports || []).some((p) => p.name === "grpc") ||
    (c.readinessProbe && c.readinessProbe.grpc) || (c.livenessProbe && c.livenessProbe.grpc));
}

// Rules that relate objects to each other: NetworkPolicies and Services to the workloads they select.
function checkRelations(objects, requiredServices) {
  const out = [];
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const services = objects.filter((o) => o.kind === "Service");
  const deployments = objects.filter((o) => o.kind === "Deployment");

  for (const w of objects.filter((o) => SERVING_KINDS.has(o.kind))) {
    const ns = namespaceOf(w);
    const labels = podLabels(w);
    const inNs = policies.filter((p) => namespaceOf(p) === ns);
    const selected = inNs.some((p) => selectorMatches((p.spec && p.spec.podSelector) || {}, labels));
    if (!selected && !inNs.some(isDefaultDeny)) {
      out.push(new Finding(w, null, "network-policy-missing", "no NetworkPolicy selects its pods and its namespace " +
        "has no default-deny policy"));
    }
  }

  for (const d of deployments.filter(speaksGrpc)) {
    const labels = podLabels(d);
    const fronting = services.filter((s) => namespaceOf(s) === namespaceOf(d) && serviceSelects(s, labels));
    if (fronting.length === 0) {
      out.push(new Finding(d, null, "grpc-port", "serves gRPC but no Service selects its pods"));
    }
    for (const s of fronting) {
      if (!((s.spec && s.spec.ports) || []).some((p) => p.name === "grpc")) {
        out.push(new Finding(s, null, "grpc-port", `fronts gRPC Deployment ${d.metadata.name} but has no port ` +
          "named grpc"));
      }
    }
  }

  for (const name of requiredServices) {
    const found = deployments.some((d) => podLabels(d)["app.kubernetes.io/name"] === name);
    if (!found) {
      out.push(new Finding({ kind: "Deployment", metadata: { name } }, null, "required-service",
        `no Deployment with pod label app.kubernetes.io/name=${name}`));
    }
  }
  return out;
}

// Every policy finding for a set of schema-valid objects rendered from one overlay.
export function checkPolicy(objects, { requiredServices = [] } = {}) {
  const out = [];
  for (const obj of objects) {
    if (POD_TEMPLATE[obj.kind]) out.push(...checkWorkload(obj));
    if (obj.kind === "Secret") out.push(...checkSecret(obj));
    if (obj.kind === "NetworkPolicy") out.push(...checkNetworkPolicy(obj));
  }
  out.push(...checkRelations(objects, requiredServices));
  return out;
}
