import adapter from "@sveltejs/adapter-static";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: the gateway serves `build/` on the same origin as /graphql and /auth, and answers
    // unknown paths with index.html so that deep links such as /setup?token=… load the app.
    adapter: adapter({ pages: "build", assets: "build", fallback: "index.html", strict: true }),
  },
};

export default config;
