import type { NextFunction, Request, Response } from "express";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The sha256 CSP sources of the inline `<script>` blocks of an HTML page (SvelteKit's start-up script). */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    const body = match[1]!;
    if (body.trim()) hashes.push(`'sha256-${createHash("sha256").update(body).digest("base64")}'`);
  }
  return hashes;
}

/**
 * The Content-Security-Policy for the web app the gateway serves: its own scripts only (plus the exact inline
 * start-up script SvelteKit writes into `index.html`, allowed by hash), connections to its own origin (HTTP and
 * WebSocket), no plugins, no framing by other sites, forms posting only here.
 *
 * @remarks `style-src 'unsafe-inline'` stays because Svelte transitions and the workflow canvas set inline styles;
 * styles cannot run code. Images may be `data:`/`blob:` URLs (previews and charts drawn in the page).
 */
export function contentSecurityPolicy(scriptHashes: string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((h) => ` ${h}`).join("")}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export interface SecurityHeadersOptions {
  /** The built web app's folder: the hashes of `index.html`'s inline scripts go into the CSP. */
  webDir: string;
  /** A CSP that replaces the built-in one (`ODS_CSP`). */
  csp?: string;
  /**
   * Whether a request may go without the CSP: Apollo's explorer page in development loads its scripts from
   * Apollo's CDN. @defaultValue never
   */
  skipCsp?: (req: Request) => boolean;
}

/**
 * Security headers on every response: CSP, `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options`,
 * `Cross-Origin-Opener-Policy`, and HSTS for every host but loopback (browsers ignore HSTS over plain HTTP, and
 * setting it on localhost would pin HTTPS on every local port a developer uses).
 */
export function useSecurityHeaders(options: SecurityHeadersOptions) {
  const index = join(options.webDir, "index.html");
  let cached: { mtimeMs: number; csp: string } | undefined;
  let checkedAt = 0;
  const csp = (): string => {
    if (options.csp) return options.csp;
    // Re-read index.html at most once a second, so a rebuilt web app gets the new script hash without a restart.
    if (!cached || Date.now() - checkedAt > 1_000) {
      checkedAt = Date.now();
      let mtimeMs = -1;
      try {
        mtimeMs = statSync(index).mtimeMs;
      } catch {
        mtimeMs = -1;
      }
      if (!cached || cached.mtimeMs !== mtimeMs) {
        const hashes = mtimeMs < 0 ? [] : inlineScriptHashes(readFileSync(index, "utf8"));
        cached = { mtimeMs, csp: contentSecurityPolicy(hashes) };
      }
    }
    return cached.csp;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!options.skipCsp?.(req)) res.setHeader("Content-Security-Policy", csp());
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "same-origin");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    if (!LOOPBACK.test(req.headers.host ?? "")) {
      res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
    next();
  };
}
