import type { ModelDeployment } from "../../entities/model-deployment.js";
import { toYamlDocuments, type YamlValue } from "./yaml.js";

/** Arguments the platform sets itself from the spec; `vllmArgs` may not set them again. */
export const RESERVED_VLLM_ARGS = ["--model", "--served-model-name", "--host", "--port"];

type Spec = Pick<
  ModelDeployment,
  "id" | "name" | "namespace" | "image" | "model" | "servedModelName" | "gpus" | "replicas" | "vllmArgs" | "port"
>;

/** The vLLM server's command-line arguments: the spec's own, then `vllmArgs` as given. */
export function vllmArguments(spec: Spec): string[] {
  const args = [
    "--model",
    spec.model,
    "--served-model-name",
    spec.servedModelName,
    "--host",
    "0.0.0.0",
    "--port",
    String(spec.port),
  ];
  // Without it vLLM uses one GPU of the several the pod was given.
  const setsParallelism = spec.vllmArgs.some((a) => /^(?:--tensor-parallel-size|-tp)(?:=|$)/.test(a));
  if (spec.gpus > 1 && !setsParallelism) args.push("--tensor-parallel-size", String(spec.gpus));
  return [...args, ...spec.vllmArgs];
}

/**
 * The Kubernetes objects of a deployment: an apps/v1 Deployment running vLLM (GPU limits, a readiness probe on
 * /health, shared memory for tensor parallelism) and a ClusterIP Service in front of it, as plain objects.
 */
export function manifestObjects(spec: Spec): { deployment: YamlValue; service: YamlValue } {
  const selector = { "app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": spec.name };
  const labels = {
    ...selector,
    "app.kubernetes.io/component": "model-server",
    "app.kubernetes.io/managed-by": "one-data-studio",
  };
  const annotations = {
    "one-data-studio/deployment-id": spec.id,
    "one-data-studio/served-model-name": spec.servedModelName,
  };
  const metadata = { name: spec.name, namespace: spec.namespace, labels, annotations };
  const resources: YamlValue =
    spec.gpus > 0 ? { limits: { "nvidia.com/gpu": String(spec.gpus) } } : ({} as Record<string, YamlValue>);
  const container: Record<string, YamlValue> = {
    name: "vllm",
    image: spec.image,
    args: vllmArguments(spec),
    ports: [{ name: "http", containerPort: spec.port, protocol: "TCP" }],
    resources,
    readinessProbe: {
      httpGet: { path: "/health", port: "http" },
      // Loading weights takes minutes; the probe only gates traffic, so it may keep failing until then.
      initialDelaySeconds: 30,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    volumeMounts: [{ name: "shm", mountPath: "/dev/shm" }],
  };
  const deployment: YamlValue = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, annotations },
        spec: {
          containers: [container],
          // vLLM's workers exchange tensors through /dev/shm; the container default of 64 MiB is far too small.
          volumes: [{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } }],
        },
      },
    },
  };
  const service: YamlValue = {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      type: "ClusterIP",
      selector,
      ports: [{ name: "http", port: spec.port, targetPort: "http", protocol: "TCP" }],
    },
  };
  return { deployment, service };
}

/** The deployment's manifest as a YAML stream of two documents (Deployment, then Service), for `kubectl apply -f`. */
export function renderManifest(spec: Spec): string {
  const { deployment, service } = manifestObjects(spec);
  return toYamlDocuments([deployment, service]);
}

/** Where the platform reaches a deployment: its `endpointUrl`, else the Service's in-cluster DNS name. */
export function deploymentEndpoint(spec: Pick<ModelDeployment, "name" | "namespace" | "port" | "endpointUrl">): string {
  return spec.endpointUrl ?? `http://${spec.name}.${spec.namespace}.svc:${spec.port}/v1`;
}
