import { sveltekit } from "@sveltejs/kit/vite";
import { defineConfig } from "vite";

// In development the app runs on Vite's port and everything the gateway serves is proxied to it, so the
// browser still sees one origin and the HttpOnly session cookie works exactly as in production.
const gateway = process.env.ODS_GATEWAY_URL ?? "http://localhost:4000";

export default defineConfig({
  plugins: [sveltekit()],
  build: {
    // Rolldown reports any build whose plugins run for more than a few seconds; SvelteKit's writeBundle (the
    // adapter writing the site) always does on this machine, so the report is noise, not a warning to act on.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: {
    proxy: {
      "/graphql": { target: gateway, ws: true, changeOrigin: true },
      "/auth": { target: gateway, changeOrigin: true },
      "/v1": { target: gateway, changeOrigin: true },
      "/objects": { target: gateway, changeOrigin: true },
    },
  },
});
