// Validates every object of a rendered MlOps manifest (multi-document YAML on stdin) against the Kubernetes schema, and
// KEDA's for its objects, offline (the schemas ship with the npm packages kubernetes-models and @kubernetes-models/keda).
// Prints one JSON line per object: {"apiVersion","kind","name","valid","error"?}; exits 1 when any is invalid or unknown.
// Dapr's Component has no published schema package: its required fields are checked here by hand.
import { parseAllDocuments } from "yaml";

const packages = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "rbac.authorization.k8s.io/v1": "kubernetes-models/rbac.authorization.k8s.io/v1",
  "keda.sh/v1alpha1": "@kubernetes-models/keda/keda.sh/v1alpha1",
};

function daprComponent(o) {
  const problems = [];
  if (!o.metadata?.name) problems.push("metadata.name is required");
  if (typeof o.spec?.type !== "string") problems.push("spec.type is required");
  if (typeof o.spec?.version !== "string") problems.push("spec.version is required");
  if (o.spec?.metadata !== undefined && !Array.isArray(o.spec.metadata)) problems.push("spec.metadata must be a list");
  if (problems.length) throw new Error(problems.join("; "));
}

let text = "";
for await (const chunk of process.stdin) text += chunk;
let failed = false;
for (const doc of parseAllDocuments(text)) {
  const o = doc.toJS();
  if (!o) continue;
  // kustomize folds a Secret's base64 values into lines of 70; Kubernetes' decoder skips the line breaks, the schema's
  // "byte" format does not.
  if (o.apiVersion === "v1" && o.kind === "Secret" && o.data)
    for (const key of Object.keys(o.data)) o.data[key] = String(o.data[key]).replace(/\s+/g, "");
  const line = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata?.name, valid: true };
  try {
    if (doc.errors.length) throw new Error(doc.errors.map(e => e.message).join("; "));
    if (o.apiVersion === "dapr.io/v1alpha1" && o.kind === "Component") daprComponent(o);
    else {
      const module = packages[o.apiVersion];
      if (!module) throw new Error(`no schema known for apiVersion ${o.apiVersion}`);
      const Model = (await import(module))[o.kind];
      if (!Model) throw new Error(`no schema known for ${o.apiVersion} ${o.kind}`);
      new Model(o).validate();
    }
  } catch (e) {
    line.valid = false;
    line.error = String(e.message ?? e).slice(0, 2000);
    failed = true;
  }
  console.log(JSON.stringify(line));
}
process.exit(failed ? 1 : 0);
