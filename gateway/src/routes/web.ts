import express, { type Router } from "express";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Serves the built web app at `/`, with the SPA fallback to `index.html` for client-side routes. */
export function webRoutes(webDir: string): Router {
  const router = express.Router();
  const index = join(webDir, "index.html");
  router.use(express.static(webDir, { index: "index.html", maxAge: "1h", setHeaders: noCacheForHtml }));
  router.get("/{*path}", (req, res, next) => {
    if (!req.accepts("html")) return next();
    if (existsSync(index)) {
      res.setHeader("cache-control", "no-cache");
      res.sendFile(index);
      return;
    }
    res
      .status(200)
      .type("html")
      .send(
        "<!doctype html><title>One Data Studio</title><p>The web app is not built yet: run <code>npm run build</code>. The API is at <a href=/graphql>/graphql</a>.</p>",
      );
  });
  return router;
}

function noCacheForHtml(res: express.Response, path: string): void {
  if (path.endsWith(".html")) res.setHeader("cache-control", "no-cache");
}
