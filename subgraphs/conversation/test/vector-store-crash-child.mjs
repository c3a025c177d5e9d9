// Child process for the embedded vector store's crash test (vector-store.test.ts): writes to a collection as fast
// as it can and reports over IPC what it is about to do and what was acknowledged, until the parent kills it.
// Plain JS so it runs under `node` as is; argv[2] is the URL of the store's module (the test transpiles the
// current source for it, so the child never runs a stale build).
const [storeModule, root, collection, dimensionsArg, firstIdArg] = process.argv.slice(2);
const { HnswVectorStore } = await import(storeModule);
const dimensions = Number(dimensionsArg);
let next = Number(firstIdArg);
const send = (message) => new Promise((resolve) => process.send(message, () => resolve()));

// Snapshots every few writes, so the kill often lands in the middle of one.
const store = new HnswVectorStore({ root, snapshotEvery: 60 });
await store.ensureCollection(collection, dimensions);
const live = [];
await send({ ready: true });
for (let batch = 0; ; batch++) {
  if (batch % 4 === 3 && live.length > 10) {
    const ids = live.splice(Math.floor(Math.random() * (live.length - 5)), 3);
    await send({ deleting: ids });
    await store.deleteByIds(collection, ids);
    await send({ deleted: ids });
    continue;
  }
  const records = Array.from({ length: 1 + Math.floor(Math.random() * 20) }, () => ({
    id: `r${next++}`,
    documentId: `d${next % 7}`,
    vector: Array.from({ length: dimensions }, () => Math.random() * 2 - 1),
  }));
  await send({ upserting: records });
  await store.upsert(collection, records);
  live.push(...records.map((r) => r.id));
  await send({ upserted: records.map((r) => r.id) });
}
