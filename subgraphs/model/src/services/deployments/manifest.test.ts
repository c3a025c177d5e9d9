import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { deploymentEndpoint, manifestObjects, renderManifest, vllmArguments } from "./manifest.js";

const spec = {
  id: "7d0c4f3e-2f7b-4a8e-9c55-0a1b2c3d4e5f",
  name: "qwen-7b",
  namespace: "models",
  image: "vllm/vllm-openai:v0.6.3",
  model: "Qwen/Qwen2.5-7B-Instruct",
  servedModelName: "qwen",
  gpus: 2,
  replicas: 3,
  vllmArgs: ["--max-model-len", "8192", "--dtype=bfloat16"],
  port: 8000,
};

describe("the deployment manifest", () => {
  it("renders a vLLM Deployment and its Service that parse back to the same objects", () => {
    const { deployment, service } = manifestObjects(spec);
    const docs = parseAllDocuments(renderManifest(spec));
    expect(docs.map((d) => d.errors)).toEqual([[], []]);
    expect(docs.map((d) => d.toJSON())).toEqual([deployment, service]);

    const [dep, svc] = docs.map((d) => d.toJSON());
    expect(dep).toMatchObject({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "qwen-7b", namespace: "models", labels: { "app.kubernetes.io/instance": "qwen-7b" } },
      spec: { replicas: 3, selector: { matchLabels: { "app.kubernetes.io/name": "vllm" } } },
    });
    const pod = dep.spec.template;
    // The selector must match the pod's labels, or the Deployment is rejected.
    expect(pod.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
    const container = pod.spec.containers[0];
    expect(container.image).toBe("vllm/vllm-openai:v0.6.3");
    expect(container.resources).toEqual({ limits: { "nvidia.com/gpu": "2" } });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(container.ports).toEqual([{ name: "http", containerPort: 8000, protocol: "TCP" }]);
    expect(container.args).toEqual([
      "--model",
      "Qwen/Qwen2.5-7B-Instruct",
      "--served-model-name",
      "qwen",
      "--host",
      "0.0.0.0",
      "--port",
      "8000",
      "--tensor-parallel-size",
      "2",
      "--max-model-len",
      "8192",
      "--dtype=bfloat16",
    ]);
    expect(pod.spec.volumes[0]).toMatchObject({ name: "shm", emptyDir: { medium: "Memory" } });

    expect(svc).toMatchObject({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "qwen-7b", namespace: "models" },
      spec: { type: "ClusterIP", ports: [{ port: 8000, targetPort: "http" }] },
    });
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
  });

  it("asks for no GPU on CPU deployments and keeps a tensor parallelism the arguments set", () => {
    const { deployment } = manifestObjects({ ...spec, gpus: 0 });
    const container = (deployment as any).spec.template.spec.containers[0];
    expect(container.resources).toEqual({});
    expect(vllmArguments({ ...spec, vllmArgs: ["-tp", "1"] })).not.toContain("--tensor-parallel-size");
    expect(vllmArguments({ ...spec, gpus: 1, vllmArgs: [] })).not.toContain("--tensor-parallel-size");
  });

  it("is reached at its Service's cluster DNS name unless an endpoint URL is set", () => {
    expect(deploymentEndpoint({ ...spec, endpointUrl: null })).toBe("http://qwen-7b.models.svc:8000/v1");
    expect(deploymentEndpoint({ ...spec, endpointUrl: "http://127.0.0.1:9/v1" })).toBe("http://127.0.0.1:9/v1");
  });
});
