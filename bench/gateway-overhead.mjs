#!/usr/bin/env node
// The latency the gateway adds to a one-subgraph query: the same query sent through the gateway (auth, query
// planning, forwarding) and straight to the subgraph (with the internal token the gateway would have made),
// p50 and p99 at 1 and 20 connections, measured in one run on this machine. Target: at most 2 ms added at p50.
import autocannon from "autocannon";
import { signInternalToken } from "@ods/kit";
import { bootBench } from "./boot.mjs";

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const query = JSON.stringify({ query: "query Me { me { id email name } }" });
// The rate limit (6,000 requests a minute per user outside production) would answer 429 to a load generator.
const { platform, token: accessToken, user, stop } = await bootBench({ env: { ODS_RATE_LIMIT: "false" } });

try {
  const internal = await signInternalToken(
    platform.internalSecret,
    { userId: user.id, email: user.email, roles: ["admin"] },
    3600,
  );

  const targets = {
    "subgraph (direct)": {
      url: `http://127.0.0.1:${platform.ports.identity}/graphql`,
      headers: { "x-ods-internal-token": internal },
    },
    gateway: { url: `${platform.url}/graphql`, headers: { authorization: `Bearer ${accessToken}` } },
  };
  const run = (target, connections) =>
    autocannon({
      url: target.url,
      method: "POST",
      headers: { "content-type": "application/json", ...target.headers },
      body: query,
      connections,
      duration: seconds,
    });

  const rows = [];
  for (const connections of [1, 20]) {
    const results = {};
    for (const [name, target] of Object.entries(targets)) {
      await run(target, connections); // warm-up round, discarded
      const r = await run(target, Math.max(1, connections));
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      results[name] = r;
      rows.push({
        target: name,
        connections,
        "mean ms": r.latency.average,
        "p50 ms": r.latency.p50,
        "p99 ms": r.latency.p99,
        "req/s": Math.round(r.requests.average),
      });
    }
    rows.push({
      target: "gateway adds",
      connections,
      "mean ms": +(results.gateway.latency.average - results["subgraph (direct)"].latency.average).toFixed(2),
      "p50 ms": +(results.gateway.latency.p50 - results["subgraph (direct)"].latency.p50).toFixed(2),
      "p99 ms": +(results.gateway.latency.p99 - results["subgraph (direct)"].latency.p99).toFixed(2),
      "req/s": "",
    });
  }
  console.log(
    `\nGateway overhead on a one-subgraph query (${seconds} s per cell, ${(await import("node:os")).cpus().length} cores, Node ${process.version})`,
  );
  console.table(rows);
} finally {
  await stop();
}
