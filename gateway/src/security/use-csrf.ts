import { ErrorCode } from "@ods/kit";
import type { NextFunction, Request, Response } from "express";
import { DefenceError, SecurityErrorCode } from "./errors.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The request's own origin as a browser would write it in `Origin`. */
const ownOrigin = (req: Request) => `${req.protocol}://${req.headers.host}`;

/**
 * Cross-site request forgery, part one: a cookie-carrying request that changes something must come from our own
 * origin or an allowed one.
 *
 * @remarks
 * Browsers send `Origin` with every cross-origin request and with every same-origin POST, so a request whose
 * `Origin` is another site's is refused outright when it carries our cookie and is not a read. Programs that
 * authenticate with `Authorization` carry no ambient credential and are not affected; nor are requests with no
 * `Origin` (programs again; browsers always send one here).
 */
export function useOriginCheck(options: {
  allowedOrigins: readonly string[];
  refuse: (res: Response, error: DefenceError) => void;
  cookieName: string;
}) {
  const allowed = new Set(options.allowedOrigins);
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (
      !SAFE_METHODS.has(req.method) &&
      origin &&
      req.headers.cookie?.includes(`${options.cookieName}=`) &&
      origin !== ownOrigin(req) &&
      !allowed.has(origin)
    ) {
      options.refuse(
        res,
        new DefenceError(403, ErrorCode.FORBIDDEN, `Requests from ${origin} may not use this session`),
      );
      return;
    }
    next();
  };
}

/**
 * Cross-site request forgery, part two, for `/graphql` (and the JSON-only REST routes): a POST must be
 * `application/json`.
 *
 * @remarks
 * A page on another site can make a browser send, with our cookies, only "simple" requests without a CORS
 * preflight: GET, or POST with `application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain`. A JSON
 * POST needs a preflight, which our CORS allow-list answers only for the configured origins. So refusing every
 * POST that is not JSON (415) leaves a cross-site page nothing to send. This is the same rule as Apollo Server's
 * CSRF prevention (which stays on, and also refuses a GET without `apollo-require-preflight` or
 * `x-apollo-operation-name`); doing it here refuses the request before the body is even read. The web app
 * needs nothing extra: urql POSTs JSON.
 */
export function useJsonOnly(refuse: (res: Response, error: DefenceError) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === "POST" && !req.is("application/json")) {
      refuse(
        res,
        new DefenceError(
          415,
          SecurityErrorCode.BAD_REQUEST,
          "Send GraphQL requests as POST with Content-Type: application/json",
        ),
      );
      return;
    }
    next();
  };
}
