import { readFile } from "node:fs/promises";

/**
 * CPU time (user + system, ms) each named platform process has used so far, from /proc (Linux, 100 ticks/s);
 * NaN for a process that cannot be read. Take it before and after a cell and divide the difference.
 *
 * @param {{ children: { name: string, child: { pid?: number } }[] }} platform - what `startPlatform` returned
 * @param {string[]} names - e.g. `["gateway", "model"]`
 */
export async function processCpuMs(platform, names) {
  return Object.fromEntries(
    await Promise.all(
      names.map(async (name) => {
        const pid = platform.children.find((c) => c.name === name)?.child.pid;
        try {
          const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1].split(" ");
          return [name, (Number(fields[11]) + Number(fields[12])) * 10];
        } catch {
          return [name, NaN];
        }
      }),
    ),
  );
}
