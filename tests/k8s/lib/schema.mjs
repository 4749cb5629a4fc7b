// Offline schema validation: each object's apiVersion/kind picks its model class in kubernetes-models, whose
// JSON-schema validator is generated from the Kubernetes OpenAPI document, so no cluster is needed.

// Only well-formed group/version strings become module paths, so a manifest cannot steer the import elsewhere.
const API_VERSION = /^(?:[a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?v[0-9]+(?:(?:alpha|beta)[0-9]+)?$/;

const modules = new Map();

async function loadVersion(apiVersion) {
  if (!modules.has(apiVersion)) {
    let mod = null;
    try {
      mod = await import(`kubernetes-models/${apiVersion}`);
    } catch (err) {
      if (err.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && err.code !== "ERR_MODULE_NOT_FOUND") throw err;
    }
    modules.set(apiVersion, mod);
  }
  return modules.get(apiVersion);
}

// The model class for apiVersion/kind, or null when kubernetes-models does not know that kind.
export async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !API_VERSION.test(apiVersion)) return null;
  const mod = await loadVersion(apiVersion);
  if (!mod) return null;
  const cls = mod[kind];
  return typeof cls === "function" && cls.kind === kind && cls.apiVersion === apiVersion ? cls : null;
}

// Schema violations of one object as "path: message" strings (empty when valid).
export function schemaErrors(cls, obj) {
  try {
    new cls(obj).validate();
    return [];
  } catch (err) {
    if (!Array.isArray(err.errors)) throw err;
    return err.errors.map((e) => {
      const allowed = e.params && e.params.allowedValues ? ` (${e.params.allowedValues.join(", ")})` : "";
      return `${e.instancePath || "/"} ${e.message}${allowed}`;
    });
  }
}
